//! 市场监管 (market regulation): an enterprise's registration (营业执照) and credit.

use axum::extract::State;
use axum::routing::post;
use axum::Router;
use chrono::NaiveDate;
use platform_api::departments::{
    EnterpriseCredit, EnterpriseRegister, EnterpriseRegistration, Operation, RegisterEntry,
    RegisterQuery,
};
use rand::seq::SliceRandom;
use rand::Rng;

use super::answer::about_a_company;
use super::record::{day_between, sub_months, ymd, Company};
use super::wenzhou;
use crate::MockState;

/// The department's routes.
pub fn routes() -> Router<MockState> {
    Router::new()
        .route(
            Operation::EnterpriseRegistration.path(),
            about_a_company(Operation::EnterpriseRegistration, enterprise_registration),
        )
        .route(
            Operation::EnterpriseCredit.path(),
            about_a_company(Operation::EnterpriseCredit, enterprise_credit),
        )
        .route(Operation::EnterpriseRegister.path(), post(register))
}

/// Business scope and 国民经济行业分类 class by the industry word in the fixture's name.
const SCOPES: &[(&str, &str, &str)] = &[
    ("电气", "低压电器、电气元件的研发、制造与销售", "C3823"),
    ("鞋业", "鞋、皮革制品的制造与销售", "C1952"),
    ("服饰", "服装服饰的设计、加工与销售", "C1810"),
    ("眼镜", "眼镜及配件的制造与销售", "C3587"),
    ("阀门", "阀门、管件的制造与销售", "C3443"),
    ("科技", "软件开发；信息技术咨询服务", "I6513"),
    ("机械", "通用机械设备的制造与销售", "C3499"),
    ("印刷", "包装装潢印刷品印刷", "C2319"),
    ("食品", "食品生产；食品销售", "C1419"),
    ("物流", "普通货物道路运输；仓储服务", "G5430"),
    ("贸易", "货物进出口；日用百货销售", "F5191"),
    ("建设", "房屋建筑工程施工；市政工程施工", "E4710"),
    ("汽配", "汽车零部件的制造与销售", "C3670"),
    ("包装", "包装材料及制品的制造与销售", "C2231"),
    ("光电", "光电子器件的研发、制造与销售", "C3976"),
    ("文具", "文具用品的制造与销售", "C2411"),
];
/// A firm whose name names no industry above sells general merchandise (百货零售).
const GENERAL: (&str, &str, &str) = ("", "日用百货销售", "F5211");

fn industry_of(name: &str) -> (&'static str, &'static str, &'static str) {
    SCOPES
        .iter()
        .copied()
        .find(|(word, _, _)| name.contains(word))
        .unwrap_or(GENERAL)
}

/// True when the fixture's industry is one 科技 and 经信 grant qualifications in.
pub(super) fn is_technical(name: &str) -> bool {
    matches!(industry_of(name).2.as_bytes().first(), Some(b'C' | b'I'))
}

const CAPITALS_WAN: &[u64] = &[10, 50, 50, 100, 100, 200, 300, 500, 1_000, 2_000, 5_000];

fn business_scope(name: &str) -> String {
    let scope = industry_of(name).1;
    format!("一般项目：{scope}。（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）")
}

fn enterprise_registration(c: &Company<'_>) -> Option<EnterpriseRegistration> {
    let mut rng = c.rng();
    let earliest = NaiveDate::from_ymd_opt(1995, 1, 1).unwrap_or_default();
    Some(EnterpriseRegistration {
        name: c.enterprise.name.clone(),
        uscc: c.enterprise.uscc.clone(),
        legal_representative: c.legal_representative.name.clone(),
        registered_capital_wan: CAPITALS_WAN.choose(&mut rng).copied().unwrap_or(100),
        established_at: ymd(day_between(&mut rng, earliest, sub_months(c.as_of, 12))),
        address: wenzhou::business_address(&mut rng, c.division),
        business_scope: business_scope(&c.enterprise.name),
        // Every fixture enterprise has a live account, so it is still in business.
        status: "存续".to_string(),
        industry_code: industry_of(&c.enterprise.name).2.to_string(),
        region_code: c.division.code.to_string(),
    })
}

fn enterprise_credit(c: &Company<'_>) -> Option<EnterpriseCredit> {
    let mut rng = c.rng();
    let rating = ["A", "A", "A", "A", "A", "A", "B", "B", "B", "C"]
        .choose(&mut rng)
        .copied()
        .unwrap_or("A");
    // Only firms already rated poorly are listed as abnormal or have several penalties.
    let (abnormal_operations, penalties) = match rating {
        "A" => (false, 0),
        "B" => (false, rng.gen_range(0..=1)),
        _ => (rng.gen_bool(0.5), rng.gen_range(1..=4)),
    };
    Some(EnterpriseCredit {
        rating: rating.to_string(),
        abnormal_operations,
        penalties,
    })
}

/// The register, in USCC order, a page after `after`. Every fixture's records are drawn for the
/// month (see `record::as_of`), so each entry changed on the first of this month.
async fn register(
    State(state): State<MockState>,
    body: axum::body::Bytes,
) -> axum::response::Response {
    let query = match serde_json::from_slice::<RegisterQuery>(&body) {
        Ok(q) if (1..=1000).contains(&q.limit) => q,
        _ => {
            return super::answer::bad_request(
                "the body must be JSON {\"after\": \"…\"?, \"limit\": 1–1000}".to_string(),
            )
        }
    };
    let today = state.clock.now().date_naive();
    let updated_on = ymd(chrono::Datelike::with_day(&today, 1).unwrap_or(today));
    let mut all: Vec<_> = state.fixtures.enterprises.iter().collect();
    all.sort_by(|a, b| a.uscc.cmp(&b.uscc));
    let page: Vec<RegisterEntry> = all
        .iter()
        .filter(|e| {
            query
                .after
                .as_deref()
                .is_none_or(|after| e.uscc.as_str() > after)
        })
        .take(query.limit as usize + 1)
        .map(|e| RegisterEntry {
            uscc: e.uscc.clone(),
            name: e.name.clone(),
            updated_on: updated_on.clone(),
        })
        .collect();
    let more = page.len() > query.limit as usize;
    let entries: Vec<RegisterEntry> = page.into_iter().take(query.limit as usize).collect();
    let next_after = more
        .then(|| entries.last().map(|e| e.uscc.clone()))
        .flatten();
    super::answer::envelope(Some(EnterpriseRegister {
        entries,
        next_after,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scope_follows_the_industry_in_the_name() {
        assert!(business_scope("温州瓯江眼镜有限公司").contains("眼镜及配件"));
        assert!(business_scope("温州某某有限公司").contains("日用百货"));
        assert_eq!(industry_of("温州瓯江眼镜有限公司").2, "C3587");
        for (_, _, code) in SCOPES.iter().chain([&GENERAL]) {
            assert!(
                zhelikit_domain::policy::Industry::parse(code).is_ok(),
                "{code}"
            );
        }
    }
}
