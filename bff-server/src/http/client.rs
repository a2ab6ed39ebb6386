//! Who is calling, for rate limits and the audit log: the peer address of the connection, or,
//! when that peer is a configured trusted proxy (load balancer, API gateway), the nearest
//! address in `X-Forwarded-For` that is not one of those proxies.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use crate::app::AppState;

/// The calling client: its IP address, or `unknown` when the server runs without connect info
/// (in-process tests).
#[derive(Debug, Clone)]
pub struct ClientAddr(pub String);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(ConnectInfo(peer)) = parts.extensions.get::<ConnectInfo<SocketAddr>>() else {
            return Ok(Self("unknown".to_string()));
        };
        Ok(Self(
            client_of(&parts.headers, peer.ip(), &state.config.trusted_proxies).to_string(),
        ))
    }
}

/// The client behind `peer`, from every `X-Forwarded-For` line in order (a proxy may append a
/// line of its own rather than extend the client's, so reading only the first line would believe
/// whatever the client wrote there).
pub fn client_of(headers: &axum::http::HeaderMap, peer: IpAddr, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let mut lines = Vec::new();
    for value in headers.get_all("x-forwarded-for") {
        match value.to_str() {
            Ok(line) => lines.push(line),
            // An unreadable line: nothing left of it can be believed, so only later lines are.
            Err(_) => lines.clear(),
        }
    }
    client_ip(peer, Some(&lines.join(",")), trusted)
}

/// Whether the request's connection comes from a trusted proxy (whose headers are believed).
pub fn from_trusted_proxy(parts_extensions: &axum::http::Extensions, trusted: &[IpAddr]) -> bool {
    parts_extensions
        .get::<ConnectInfo<SocketAddr>>()
        .is_some_and(|ConnectInfo(peer)| trusted.contains(&peer.ip()))
}

/// The key a client is rate limited under: its IPv4 address, or its IPv6 /64 (one subscriber
/// usually holds a whole /64, so per-address buckets would be unlimited buckets).
pub fn limit_key(client: &str) -> String {
    match client.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Ok(IpAddr::V6(v6)) => v6
            .to_ipv4_mapped()
            .map(|v4| v4.to_string())
            .unwrap_or_default(),
        _ => client.to_string(),
    }
}

/// The client behind `peer`: walking `X-Forwarded-For` from the right (the entries the trusted
/// proxies appended), the first address that is not a trusted proxy. A client cannot spoof it
/// by sending its own header, since only entries appended by trusted proxies are believed.
pub fn client_ip(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let mut client = peer;
    for hop in forwarded_for.unwrap_or("").rsplit(',') {
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) if trusted.contains(&ip) => client = ip,
            Ok(ip) => return ip,
            // A malformed entry ends what can be believed.
            Err(_) => return client,
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        assert_eq!(
            client_ip(ip("203.0.113.9"), Some("1.2.3.4"), &[ip("10.0.0.1")]),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn behind_trusted_proxies_the_nearest_untrusted_hop_is_the_client() {
        let trusted = [ip("10.0.0.1"), ip("10.0.0.2")];
        assert_eq!(
            client_ip(
                ip("10.0.0.1"),
                Some("6.6.6.6, 198.51.100.7, 10.0.0.2"),
                &trusted
            ),
            ip("198.51.100.7")
        );
        assert_eq!(client_ip(ip("10.0.0.1"), None, &trusted), ip("10.0.0.1"));
        assert_eq!(
            client_ip(ip("10.0.0.1"), Some("garbage"), &trusted),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn a_line_the_proxy_appended_wins_over_the_line_the_client_wrote() {
        let trusted = [ip("10.0.0.1")];
        let mut headers = axum::http::HeaderMap::new();
        headers.append("x-forwarded-for", "6.6.6.6".parse().unwrap());
        headers.append("x-forwarded-for", "198.51.100.7".parse().unwrap());
        assert_eq!(
            client_of(&headers, ip("10.0.0.1"), &trusted),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn ipv6_clients_are_limited_by_their_64_and_ipv4_by_address() {
        assert_eq!(limit_key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(limit_key("2001:db8:1:2:bbbb::9"), "2001:db8:1:2::/64");
        assert_eq!(limit_key("203.0.113.9"), "203.0.113.9");
        assert_eq!(limit_key("::ffff:203.0.113.9"), "203.0.113.9");
        assert_eq!(limit_key("unknown"), "unknown");
    }
}
