//! What the container does for the bridge: the host (an Android WebView activity, an iOS
//! WKWebView controller, the simulator) shows dialogs, opens links, scans, picks images, asks
//! for consent and obtains platform credentials, and carries events to the page. It decides
//! nothing: the bridge has already checked the method, its parameters and its permission.

/// Something the page asked the container to do.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum HostAction {
    /// A dialog with two buttons (`confirm`); answer [`HostReply::Confirmed`].
    Confirm {
        /// Title.
        title: String,
        /// Message.
        message: String,
        /// The confirming button's label.
        ok_label: String,
        /// The cancelling button's label.
        cancel_label: String,
    },
    /// A dialog with one button (`alert`).
    Alert {
        /// Title.
        title: String,
        /// Message.
        message: String,
        /// The button's label.
        button_label: String,
    },
    /// A short message that goes away by itself (`toast`).
    Toast {
        /// What it says.
        message: String,
    },
    /// A loading indicator (`showPreloader`).
    ShowPreloader {
        /// What it says, e.g. 加载中.
        text: String,
    },
    /// Hide the loading indicator (`hidePreloader`).
    HidePreloader,
    /// The page's title (`setTitle`).
    SetTitle {
        /// The title.
        title: String,
    },
    /// The top-right menu (`setMenu`), as the JSON array the page gave.
    SetMenu {
        /// `[{"id": …, "title": …}, …]`.
        items_json: String,
    },
    /// Open an http(s) link in the container (`openLink`).
    OpenLink {
        /// The URL (already checked to be http or https).
        url: String,
    },
    /// Reload the page (`openLink({type: 'reload'})`).
    Reload,
    /// Close the mini-app (`close`).
    Close,
    /// Offer to dial a number (`phoneCall`).
    PhoneCall {
        /// The number (digits, `+`, `-`).
        number: String,
    },
    /// Scan a code (`scan`); answer [`HostReply::Text`].
    Scan,
    /// Pick images (`chooseImage`); answer [`HostReply::Images`].
    ChooseImage {
        /// How many at most.
        count: u32,
    },
    /// Ask the user whether this mini-app may have what `scope` covers; answer
    /// [`HostReply::Confirmed`]. Asked once per user and mini-app; the answer "yes" is
    /// remembered until revoked.
    AskConsent {
        /// The mini-app's name, as people see it.
        mini_app_name: String,
        /// The scope, e.g. `profile`.
        scope: String,
        /// What it means, in words for the user (zh-CN).
        purpose: String,
    },
    /// Ask the person to prove again that they own the phone (biometric or the lock screen;
    /// a button in the simulator) before a sensitive value is shown; answer
    /// [`HostReply::Confirmed`].
    Reauthenticate {
        /// What it is for, in zh-CN (e.g. "查看电子驾驶证的驾驶证号").
        reason: String,
    },
    /// Show a verifier's online request — who asks, why, for which claims, and which of them it
    /// is not registered to ask for — and ask whether to share; answer
    /// [`HostReply::Confirmed`]. A request with over-asked claims is refused whatever the
    /// answer: show them as the reason.
    ApproveShare {
        /// Who asks, e.g. `温州市公安局交通警察支队`.
        verifier_name: String,
        /// Why.
        purpose: String,
        /// The certificate, e.g. `电子居民身份证`.
        certificate_name: String,
        /// The claims asked for, as the person reads them.
        claims: Vec<String>,
        /// Those the verifier is not registered to ask for, as the person reads them.
        over_asked: Vec<String>,
    },
    /// Obtain a 浙里办 mini-program `ticketId` for this mini-app from the platform (the
    /// container's own login); answer [`HostReply::Text`] (empty: the container wants a reload).
    SsoTicket {
        /// The mini-app.
        mini_app_id: String,
    },
    /// Obtain a 浙政钉 免登 auth code from the platform; answer [`HostReply::Text`].
    AuthCode {
        /// The organisation's corp id the page named.
        corp_id: String,
    },
}

/// The container's answer to a [`HostAction`].
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum HostReply {
    /// Done; nothing to say.
    Done,
    /// A yes or no (a confirm dialog, a consent prompt).
    Confirmed {
        /// Whether the user agreed.
        ok: bool,
    },
    /// A text (a scanned code, a ticketId, an auth code).
    Text {
        /// The text.
        value: String,
    },
    /// Images, as `data:` URLs.
    Images {
        /// The images.
        data_urls: Vec<String>,
    },
}

/// Why the container could not do it.
#[derive(Debug, Clone, PartialEq, thiserror::Error, uniffi::Error)]
pub enum HostError {
    /// The user cancelled.
    #[error("cancelled by the user")]
    Cancelled,
    /// The container cannot (no camera, no dialer, no platform login here).
    #[error("unavailable: {reason}")]
    Unavailable {
        /// Why.
        reason: String,
    },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for HostError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        Self::Unavailable { reason: e.reason }
    }
}

/// The container of one mini-app, implemented by the host.
#[uniffi::export(foreign)]
pub trait BridgeHost: Send + Sync {
    /// Does what the page asked. May block (a dialog waiting for the user): the bridge calls it
    /// off its async threads.
    fn perform(&self, action: HostAction) -> Result<HostReply, HostError>;
    /// Carries an event to the page: JSON `{"event": …, "data": …}` (`networkChanged`,
    /// `sessionExpired`, `uiStyleChanged`, `vaultCode`, `vaultCodeStopped`).
    fn emit(&self, event_json: String);
}
