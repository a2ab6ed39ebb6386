//! 税务 (taxation): an enterprise's tax credit rating (纳税信用等级) and last year's figures.

use axum::Router;
use chrono::Datelike;
use platform_api::departments::{EnterpriseTax, Operation};
use rand::Rng;

use super::answer::about_a_company;
use super::human_resources::insured_employees;
use super::record::Company;
use crate::MockState;

/// The department's routes.
pub fn routes() -> Router<MockState> {
    Router::new().route(
        Operation::EnterpriseTax.path(),
        about_a_company(Operation::EnterpriseTax, enterprise_tax),
    )
}

fn enterprise_tax(c: &Company<'_>) -> Option<EnterpriseTax> {
    let mut rng = c.rng();
    let credit_rating = match rng.gen_range(0..100) {
        0..30 => "A",
        30..75 => "B",
        75..85 => "M",
        85..95 => "C",
        _ => "D",
    };
    // Revenue per employee of 20–80 万元, as in Wenzhou's private manufacturing and trade.
    let employees = u64::from(insured_employees(c));
    let revenue_wan = employees * rng.gen_range(20..=80) + rng.gen_range(0..50);
    let assets_wan = revenue_wan * rng.gen_range(5..=20) / 10;
    // The account taxes are paid from (三方协议): a Wenzhou branch of one of the banks here,
    // drawn after the figures so they stay what they were.
    const BANKS: [&str; 5] = [
        "温州银行",
        "中国工商银行温州分行",
        "中国建设银行温州分行",
        "浙江稠州商业银行温州分行",
        "温州鹿城农村商业银行",
    ];
    let settlement_bank = BANKS[rng.gen_range(0..BANKS.len())].to_string();
    let settlement_account = (0..19)
        .map(|i| char::from(b'0' + if i == 0 { 6 } else { rng.gen_range(0..10) }))
        .collect();
    Some(EnterpriseTax {
        credit_rating: credit_rating.to_string(),
        // Ratings are published each spring for the year before.
        year: u16::try_from(c.as_of.year() - 1).unwrap_or(2025),
        revenue_wan,
        assets_wan,
        settlement_bank,
        settlement_account,
    })
}
