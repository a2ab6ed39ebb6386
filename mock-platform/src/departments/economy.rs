//! 经信 (economy and information technology): the qualifications an enterprise holds, as the
//! province's 企业码 gathers them from 科技 (高新技术企业, 科技型中小企业), 经信 (创新型, 专精特新)
//! and the ministry (专精特新“小巨人”).

use axum::Router;
use chrono::Datelike;
use platform_api::departments::{EnterpriseQualification, EnterpriseQualifications, Operation};
use rand::Rng;

use super::answer::about_a_company;
use super::market_regulation::is_technical;
use super::record::{add_months, day_between, sub_months, ymd, Company};
use crate::MockState;

/// The department's routes.
pub fn routes() -> Router<MockState> {
    Router::new().route(
        Operation::EnterpriseQualifications.path(),
        about_a_company(
            Operation::EnterpriseQualifications,
            enterprise_qualifications,
        ),
    )
}

/// Each qualification: its name, who grants it, how many years it lasts, and how often a
/// technical firm and another firm hold it (per cent).
const GRANTS: &[(&str, &str, u32, u32, u32)] = &[
    ("高新技术企业", "浙江省科学技术厅", 3, 30, 3),
    ("科技型中小企业", "浙江省科学技术厅", 1, 30, 5),
    ("创新型中小企业", "温州市经济和信息化局", 3, 12, 4),
    ("专精特新中小企业", "浙江省经济和信息化厅", 3, 12, 0),
];
const LITTLE_GIANT: (&str, &str, u32) = ("专精特新“小巨人”企业", "中华人民共和国工业和信息化部", 3);

fn enterprise_qualifications(c: &Company<'_>) -> Option<EnterpriseQualifications> {
    let mut rng = c.rng();
    let technical = is_technical(&c.enterprise.name);
    let held = |rng: &mut rand_chacha::ChaCha8Rng, name: &str, by: &str, years: u32| {
        let granted = day_between(rng, sub_months(c.as_of, years * 12 - 1), c.as_of);
        EnterpriseQualification {
            name: name.to_string(),
            number: format!(
                "{}{}33{:05}",
                prefix(name),
                granted.year(),
                rng.gen_range(0..100_000)
            ),
            granted_by: by.to_string(),
            granted_on: ymd(granted),
            valid_until: ymd(add_months(granted, years * 12)),
        }
    };
    let mut qualifications = Vec::new();
    for (name, by, years, technical_pct, other_pct) in GRANTS {
        let pct = if technical {
            *technical_pct
        } else {
            *other_pct
        };
        if rng.gen_range(0..100) < pct {
            qualifications.push(held(&mut rng, name, by, *years));
        }
    }
    let specialised = qualifications.iter().any(|q| q.name == "专精特新中小企业");
    if specialised && rng.gen_bool(0.2) {
        let (name, by, years) = LITTLE_GIANT;
        qualifications.push(held(&mut rng, name, by, years));
    }
    Some(EnterpriseQualifications { qualifications })
}

/// The certificate number's letters: GR for 高新 (as the real certificates), ZJ for the rest.
fn prefix(name: &str) -> &'static str {
    if name == "高新技术企业" {
        "GR"
    } else {
        "ZJ"
    }
}
