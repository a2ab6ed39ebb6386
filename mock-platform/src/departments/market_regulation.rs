//! 市场监管 (market regulation): an enterprise's registration (营业执照) and credit.

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
    ("电气", "低压电器、电气元件的研发、制造与销售"),
    ("鞋业", "鞋、皮革制品的制造与销售"),
    ("服饰", "服装服饰的设计、加工与销售"),
    ("眼镜", "眼镜及配件的制造与销售"),
    ("阀门", "阀门、管件的制造与销售"),
    ("科技", "软件开发；信息技术咨询服务"),
    ("机械", "通用机械设备的制造与销售"),
    ("印刷", "包装装潢印刷品印刷"),
    ("食品", "食品生产；食品销售"),
    ("物流", "普通货物道路运输；仓储服务"),
    ("贸易", "货物进出口；日用百货销售"),
    ("建设", "房屋建筑工程施工；市政工程施工"),
    ("汽配", "汽车零部件的制造与销售"),
    ("包装", "包装材料及制品的制造与销售"),
    ("光电", "光电子器件的研发、制造与销售"),
    ("文具", "文具用品的制造与销售"),
];
const CAPITALS_WAN: &[u64] = &[10, 50, 50, 100, 100, 200, 300, 500, 1_000, 2_000, 5_000];

fn business_scope(name: &str) -> String {
    let scope = SCOPES
        .iter()
        .find(|(industry, _)| name.contains(industry))
        .map_or("日用百货销售", |(_, scope)| scope);
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
        assert!(business_scope("温州瓯江眼镜有限公司").contains("眼镜及配件"));
        assert!(business_scope("温州某某有限公司").contains("日用百货"));
    }
}
