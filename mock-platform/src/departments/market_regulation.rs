//! 市場監管 (market regulation): an enterprise's registration (營業執照) and credit.

use axum::Router;
use chrono::NaiveDate;
use platform_api::departments::{EnterpriseCredit, EnterpriseRegistration, Operation};
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
}

/// Business scope by the industry word in the fixture's name.
const SCOPES: &[(&str, &str)] = &[
    ("電氣", "低壓電器、電氣元件的研發、製造與銷售"),
    ("鞋業", "鞋、皮革製品的製造與銷售"),
    ("服飾", "服裝服飾的設計、加工與銷售"),
    ("眼鏡", "眼鏡及配件的製造與銷售"),
    ("閥門", "閥門、管件的製造與銷售"),
    ("科技", "軟件開發；信息技術諮詢服務"),
    ("機械", "通用機械設備的製造與銷售"),
    ("印刷", "包裝裝潢印刷品印刷"),
    ("食品", "食品生產；食品銷售"),
    ("物流", "普通貨物道路運輸；倉儲服務"),
    ("貿易", "貨物進出口；日用百貨銷售"),
    ("建設", "房屋建築工程施工；市政工程施工"),
    ("汽配", "汽車零部件的製造與銷售"),
    ("包裝", "包裝材料及製品的製造與銷售"),
    ("光電", "光電子器件的研發、製造與銷售"),
    ("文具", "文具用品的製造與銷售"),
];
const CAPITALS_WAN: &[u64] = &[10, 50, 50, 100, 100, 200, 300, 500, 1_000, 2_000, 5_000];

fn business_scope(name: &str) -> String {
    let scope = SCOPES
        .iter()
        .find(|(industry, _)| name.contains(industry))
        .map_or("日用百貨銷售", |(_, scope)| scope);
    format!("一般項目：{scope}。（除依法須經批准的項目外，憑營業執照依法自主開展經營活動）")
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
        status: "存續".to_string(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scope_follows_the_industry_in_the_name() {
        assert!(business_scope("溫州甌江眼鏡有限公司").contains("眼鏡及配件"));
        assert!(business_scope("溫州某某有限公司").contains("日用百貨"));
    }
}
