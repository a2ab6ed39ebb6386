//! 人社 (human resources and social security): the social-security card, a person's
//! contributions, and an enterprise's social-security summary.

use axum::Router;
use chrono::{Duration, NaiveDate};
use platform_api::departments::{
    ContributionMonth, Contributions, EnterpriseSocialSecurity, Operation, SocialSecurityCard,
};
use rand::seq::SliceRandom;
use rand::Rng;

use super::answer::{about_a_company, about_a_person};
use super::record::{day_between, sub_months, ym, ymd, Company, Person};
use crate::fixtures::{pick, Sex};
use crate::MockState;

/// The department's routes.
pub fn routes() -> Router<MockState> {
    Router::new()
        .route(
            Operation::SocialSecurityCard.path(),
            about_a_person(Operation::SocialSecurityCard, social_security_card),
        )
        .route(
            Operation::Contributions.path(),
            about_a_person(Operation::Contributions, contributions),
        )
        .route(
            Operation::EnterpriseSocialSecurity.path(),
            about_a_company(
                Operation::EnterpriseSocialSecurity,
                enterprise_social_security,
            ),
        )
}

const CARD_BANKS: &[&str] = &[
    "中国工商银行温州分行",
    "中国农业银行温州分行",
    "中国银行温州市分行",
    "中国建设银行温州分行",
    "温州银行",
    "浙江农商银行",
];
/// How many months [`Contributions::recent`] lists.
const RECENT_MONTHS: u32 = 6;
/// The contribution base's range in Wenzhou, in fen per month (roughly the 2024 floor and
/// ceiling: 60% and 300% of the provincial average wage).
const CONTRIBUTION_BASE_FEN: std::ops::RangeInclusive<u64> = 446_200..=2_493_000;

pub(super) fn social_security_card(p: &Person<'_>) -> Option<SocialSecurityCard> {
    let mut rng = p.rng();
    // Third-generation cards carry a letter and eight digits; first issued from 2008 here.
    let letters = b"ABCDEFGHJK";
    let letter = letters.choose(&mut rng).copied().unwrap_or(b'A') as char;
    let earliest = p
        .birthday(16)
        .max(NaiveDate::from_ymd_opt(2008, 1, 1).unwrap_or_default());
    Some(SocialSecurityCard {
        card_number: format!("{letter}{:08}", rng.gen_range(0..100_000_000u32)),
        bank: pick(&mut rng, CARD_BANKS).to_string(),
        status: if rng.gen_bool(0.05) {
            "挂失"
        } else {
            "正常"
        }
        .to_string(),
        issued_at: ymd(day_between(&mut rng, earliest, p.as_of - Duration::days(1))),
    })
}

/// Retirement age for the contributions to stop (men 60, women 55).
fn retirement_age(sex: Sex) -> u32 {
    match sex {
        Sex::Male => 60,
        Sex::Female => 55,
    }
}

fn months_between(from: NaiveDate, to: NaiveDate) -> u32 {
    use chrono::Datelike as _;
    let months = (to.year() - from.year()) * 12 + to.month() as i32 - from.month() as i32;
    u32::try_from(months).unwrap_or(0)
}

/// From the first job (at 18 to 24) to last month, or to retirement; `None` for someone who has
/// not worked yet.
fn contributions(p: &Person<'_>) -> Option<Contributions> {
    let mut rng = p.rng();
    let started = p.birthday(rng.gen_range(18..=24));
    let last_month = sub_months(p.as_of, 1);
    let last_paid = last_month.min(p.birthday(retirement_age(p.citizen.sex)));
    if started > last_paid {
        return None;
    }
    let span = months_between(started, last_paid) + 1;
    // Some months are missed between jobs.
    let gaps = rng.gen_range(0..=span / 5);
    let months_paid = (span - gaps).max(span.min(RECENT_MONTHS));
    let base_fen = rng.gen_range(CONTRIBUTION_BASE_FEN);
    let employer = p
        .fixtures
        .enterprises
        .choose(&mut rng)
        .map(|e| e.name.clone())
        .unwrap_or_default();
    let recent = (0..RECENT_MONTHS.min(months_paid))
        .map(|back| ContributionMonth {
            month: ym(sub_months(last_paid, back)),
            // The employee's shares: 8% to the pension, 2% to medical insurance.
            pension_fen: base_fen * 8 / 100,
            medical_fen: base_fen * 2 / 100,
            employer: employer.clone(),
        })
        .collect();
    Some(Contributions {
        months_paid,
        last_paid_month: ym(last_paid),
        recent,
    })
}

/// Employees insured: the company's own draw, so 税务's revenue agrees with it.
pub(super) fn insured_employees(c: &Company<'_>) -> u32 {
    let mut rng = c.rng_for("insured_employees");
    // Most Wenzhou firms are small; a few employ hundreds.
    if rng.gen_bool(0.8) {
        rng.gen_range(3..=50)
    } else {
        rng.gen_range(51..=800)
    }
}

fn enterprise_social_security(c: &Company<'_>) -> Option<EnterpriseSocialSecurity> {
    let mut rng = c.rng();
    let insured_employees = insured_employees(c);
    let months_behind = if rng.gen_bool(0.85) {
        0
    } else {
        rng.gen_range(1..=3)
    };
    // Employer and employee shares together come to about a third of the base.
    let monthly_fen = u64::from(insured_employees) * rng.gen_range(150_000..=250_000);
    Some(EnterpriseSocialSecurity {
        insured_employees,
        last_paid_month: ym(sub_months(c.as_of, 1 + months_behind)),
        arrears_fen: monthly_fen * u64::from(months_behind),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_between_counts_calendar_months() {
        let d = |y, m| NaiveDate::from_ymd_opt(y, m, 1).unwrap_or_default();
        assert_eq!(months_between(d(2020, 1), d(2020, 1)), 0);
        assert_eq!(months_between(d(2020, 11), d(2021, 2)), 3);
        assert_eq!(months_between(d(2021, 2), d(2020, 11)), 0);
    }
}
