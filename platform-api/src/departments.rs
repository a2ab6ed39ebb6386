//! Department APIs behind the IRS gateway (部门接口), as ZheliKit calls them: the BFF's adapters
//! (client) and `mock-platform` (server) share these paths and payloads.
//!
//! Every call is `POST` with a JSON body naming whose data is asked for (so no ID number ever
//! appears in a URL or an access log), signed with [`crate::irs`], and answered in
//! [`DeptResponse`]. (Real department interfaces differ one from another; this uniform envelope
//! is what the IRS shared-data gateway presents for the interfaces it republishes.)

use serde::{Deserialize, Serialize};

/// A department ZheliKit aggregates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Department {
    /// 公安 (public security): household register, resident ID card.
    PublicSecurity,
    /// 人社 (human resources and social security): social-security card, contributions.
    HumanResources,
    /// 交通 (transport): driving licence, vehicles.
    Transport,
    /// 市场监管 (market regulation): enterprise registration, credit.
    MarketRegulation,
    /// 卫健 (health): health card, vaccinations.
    Health,
    /// 教育 (education): education record.
    Education,
    /// 住建 (housing and urban-rural development): home purchase records.
    Housing,
    /// 税务 (taxation): an enterprise's tax credit rating and annual figures.
    Taxation,
    /// 经信 (economy and information technology): the qualifications an enterprise holds, as
    /// the province's 企业码 gathers them from the departments that grant them.
    Economy,
}

impl Department {
    /// Every department, in a stable order.
    pub const ALL: [Department; 9] = [
        Self::PublicSecurity,
        Self::HumanResources,
        Self::Transport,
        Self::MarketRegulation,
        Self::Health,
        Self::Education,
        Self::Housing,
        Self::Taxation,
        Self::Economy,
    ];

    /// Stable lower-case name used in paths, metrics and the fault-injection API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PublicSecurity => "public_security",
            Self::HumanResources => "human_resources",
            Self::Transport => "transport",
            Self::MarketRegulation => "market_regulation",
            Self::Health => "health",
            Self::Education => "education",
            Self::Housing => "housing",
            Self::Taxation => "taxation",
            Self::Economy => "economy",
        }
    }

    /// Inverse of [`Department::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }

    /// The department's Chinese name, for screens.
    pub fn chinese_name(self) -> &'static str {
        match self {
            Self::PublicSecurity => "公安",
            Self::HumanResources => "人社",
            Self::Transport => "交通",
            Self::MarketRegulation => "市场监管",
            Self::Health => "卫健",
            Self::Education => "教育",
            Self::Housing => "住建",
            Self::Taxation => "税务",
            Self::Economy => "经信",
        }
    }

    /// The IRS interface code prefix of the department (one code per department here; the real
    /// gateway assigns one per interface).
    pub fn interface_code(self) -> &'static str {
        match self {
            Self::PublicSecurity => "IC33000020220301000101",
            Self::HumanResources => "IC33000020220301000201",
            Self::Transport => "IC33000020220301000301",
            Self::MarketRegulation => "IC33000020220301000401",
            Self::Health => "IC33000020220301000501",
            Self::Education => "IC33000020220301000601",
            Self::Housing => "IC33000020220301000701",
            Self::Taxation => "IC33000020220301000801",
            Self::Economy => "IC33000020220301000901",
        }
    }
}

/// One department operation (interface).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    /// 公安: the household register (户籍) of a person. Body [`PersonQuery`] → [`HouseholdRegister`].
    HouseholdRegister,
    /// 公安: the resident ID card (居民身份证). [`PersonQuery`] → [`ResidentIdCard`].
    ResidentIdCard,
    /// 人社: the social-security card (社保卡). [`PersonQuery`] → [`SocialSecurityCard`].
    SocialSecurityCard,
    /// 人社: contribution record (缴费记录). [`PersonQuery`] → [`Contributions`].
    Contributions,
    /// 人社: an enterprise's social-security summary. [`EnterpriseQuery`] → [`EnterpriseSocialSecurity`].
    EnterpriseSocialSecurity,
    /// 交通: driving licence (驾驶证). [`PersonQuery`] → [`DrivingLicence`].
    DrivingLicence,
    /// 交通: vehicles registered to the person (行驶证). [`PersonQuery`] → [`Vehicles`].
    Vehicles,
    /// 市场监管: enterprise registration (营业执照). [`EnterpriseQuery`] → [`EnterpriseRegistration`].
    EnterpriseRegistration,
    /// 市场监管: enterprise credit (信用). [`EnterpriseQuery`] → [`EnterpriseCredit`].
    EnterpriseCredit,
    /// 市场监管: the register of enterprises (登记名录), a page at a time in USCC order, each with
    /// the day its records last changed. [`RegisterQuery`] → [`EnterpriseRegister`].
    EnterpriseRegister,
    /// 卫健: health card (健康卡). [`PersonQuery`] → [`HealthCard`].
    HealthCard,
    /// 卫健: the births a parent's hospital has registered (the data of the 出生医学证明), newest
    /// first. [`PersonQuery`] (either parent) → [`BirthRecord`]; "no record" when none.
    BirthRecord,
    /// 教育: education record (学历). [`PersonQuery`] → [`EducationRecord`].
    EducationRecord,
    /// 税务: an enterprise's tax credit rating and last year's figures (纳税信用等级, 营业收入,
    /// 资产总额). [`EnterpriseQuery`] → [`EnterpriseTax`].
    EnterpriseTax,
    /// 经信: the qualifications an enterprise holds (高新技术企业, 专精特新 …).
    /// [`EnterpriseQuery`] → [`EnterpriseQualifications`].
    EnterpriseQualifications,
    /// The issuing department: an e-certificate (电子证照) of the kind, bound to a holder key.
    /// [`CertificateQuery`] → [`IssuedCertificate`]; "no record" when the person has none.
    Certificate(CertificateKind),
    /// A department's issuer keys. `{}` → [`IssuerKeySet`].
    IssuerKeys(Department),
    /// A department's signed status list. `{}` → [`StatusListToken`].
    StatusList(Department),
    /// The issuing department: a correction request (数据纠错) against one of its certificates.
    /// [`CorrectionFiling`] → [`CorrectionReceipt`]; filed once per reference however often
    /// it is sent, so the adapter layer may retry it. The decision comes later, signed, to
    /// ZheliKit's callback.
    Correction(Department),
    /// The department's intake (收件) of its part of an application (一件事).
    /// [`IntakeFiling`] → [`IntakeReceipt`]; filed once per reference however often it is
    /// sent. Where the part stands comes later, signed, to ZheliKit's callback.
    Intake(Department),
}

impl Operation {
    /// Every operation.
    pub const ALL: [Operation; 60] = [
        Self::HouseholdRegister,
        Self::ResidentIdCard,
        Self::SocialSecurityCard,
        Self::Contributions,
        Self::EnterpriseSocialSecurity,
        Self::DrivingLicence,
        Self::Vehicles,
        Self::EnterpriseRegistration,
        Self::EnterpriseCredit,
        Self::EnterpriseRegister,
        Self::HealthCard,
        Self::BirthRecord,
        Self::EducationRecord,
        Self::EnterpriseTax,
        Self::EnterpriseQualifications,
        Self::Certificate(CertificateKind::ResidentId),
        Self::Certificate(CertificateKind::HouseholdRegister),
        Self::Certificate(CertificateKind::DrivingLicence),
        Self::Certificate(CertificateKind::VehicleLicence),
        Self::Certificate(CertificateKind::SocialSecurityCard),
        Self::Certificate(CertificateKind::ProfessionalQualification),
        Self::Certificate(CertificateKind::Education),
        Self::Certificate(CertificateKind::HomePurchase),
        Self::Certificate(CertificateKind::BirthCertificate),
        Self::IssuerKeys(Department::PublicSecurity),
        Self::IssuerKeys(Department::HumanResources),
        Self::IssuerKeys(Department::Transport),
        Self::IssuerKeys(Department::MarketRegulation),
        Self::IssuerKeys(Department::Health),
        Self::IssuerKeys(Department::Education),
        Self::IssuerKeys(Department::Housing),
        Self::IssuerKeys(Department::Taxation),
        Self::IssuerKeys(Department::Economy),
        Self::StatusList(Department::PublicSecurity),
        Self::StatusList(Department::HumanResources),
        Self::StatusList(Department::Transport),
        Self::StatusList(Department::MarketRegulation),
        Self::StatusList(Department::Health),
        Self::StatusList(Department::Education),
        Self::StatusList(Department::Housing),
        Self::StatusList(Department::Taxation),
        Self::StatusList(Department::Economy),
        Self::Correction(Department::PublicSecurity),
        Self::Correction(Department::HumanResources),
        Self::Correction(Department::Transport),
        Self::Correction(Department::MarketRegulation),
        Self::Correction(Department::Health),
        Self::Correction(Department::Education),
        Self::Correction(Department::Housing),
        Self::Correction(Department::Taxation),
        Self::Correction(Department::Economy),
        Self::Intake(Department::PublicSecurity),
        Self::Intake(Department::HumanResources),
        Self::Intake(Department::Transport),
        Self::Intake(Department::MarketRegulation),
        Self::Intake(Department::Health),
        Self::Intake(Department::Education),
        Self::Intake(Department::Housing),
        Self::Intake(Department::Taxation),
        Self::Intake(Department::Economy),
    ];

    /// The department that answers it.
    pub fn department(self) -> Department {
        match self {
            Self::HouseholdRegister | Self::ResidentIdCard => Department::PublicSecurity,
            Self::SocialSecurityCard | Self::Contributions | Self::EnterpriseSocialSecurity => {
                Department::HumanResources
            }
            Self::DrivingLicence | Self::Vehicles => Department::Transport,
            Self::EnterpriseRegistration | Self::EnterpriseCredit | Self::EnterpriseRegister => {
                Department::MarketRegulation
            }
            Self::HealthCard | Self::BirthRecord => Department::Health,
            Self::EducationRecord => Department::Education,
            Self::EnterpriseTax => Department::Taxation,
            Self::EnterpriseQualifications => Department::Economy,
            Self::Certificate(kind) => issuer_of(kind),
            Self::IssuerKeys(department)
            | Self::StatusList(department)
            | Self::Correction(department)
            | Self::Intake(department) => department,
        }
    }

    /// Stable lower-case name (metrics, records, cache keys).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::HouseholdRegister => "household_register",
            Self::ResidentIdCard => "resident_id_card",
            Self::SocialSecurityCard => "social_security_card",
            Self::Contributions => "contributions",
            Self::EnterpriseSocialSecurity => "enterprise_social_security",
            Self::DrivingLicence => "driving_licence",
            Self::Vehicles => "vehicles",
            Self::EnterpriseRegistration => "enterprise_registration",
            Self::EnterpriseCredit => "enterprise_credit",
            Self::EnterpriseRegister => "enterprise_register",
            Self::HealthCard => "health_card",
            Self::BirthRecord => "birth_record",
            Self::EducationRecord => "education_record",
            Self::EnterpriseTax => "enterprise_tax",
            Self::EnterpriseQualifications => "enterprise_qualifications",
            Self::Certificate(_)
            | Self::IssuerKeys(_)
            | Self::StatusList(_)
            | Self::Correction(_)
            | Self::Intake(_) => own_body_names(self).0,
        }
    }

    /// True for the operations that take bodies of their own and whose answers are not a
    /// screen's records: the vault's (certificates, issuer keys, status lists, corrections) and
    /// the intake of forms.
    pub fn has_own_body(self) -> bool {
        matches!(
            self,
            Self::Certificate(_)
                | Self::IssuerKeys(_)
                | Self::StatusList(_)
                | Self::Correction(_)
                | Self::Intake(_)
        )
    }

    /// True when the body names one person or enterprise ([`PersonQuery`], [`EnterpriseQuery`])
    /// and the answer is one record of them; false for the vault's operations and the
    /// register, which take bodies of their own.
    pub fn asks_about_a_subject(self) -> bool {
        !self.has_own_body() && self != Self::EnterpriseRegister
    }

    /// True when the body is an [`EnterpriseQuery`] rather than a [`PersonQuery`].
    pub fn is_about_an_enterprise(self) -> bool {
        matches!(
            self,
            Self::EnterpriseSocialSecurity
                | Self::EnterpriseRegistration
                | Self::EnterpriseCredit
                | Self::EnterpriseTax
                | Self::EnterpriseQualifications
        )
    }

    /// The IRS path, e.g. `/restapi/prod/IC33000020220301000101/public_security/household_register`.
    /// (Literal per operation: it is on the hot path of every department call.)
    pub fn path(self) -> &'static str {
        match self {
            Self::HouseholdRegister => {
                "/restapi/prod/IC33000020220301000101/public_security/household_register"
            }
            Self::ResidentIdCard => {
                "/restapi/prod/IC33000020220301000101/public_security/resident_id_card"
            }
            Self::SocialSecurityCard => {
                "/restapi/prod/IC33000020220301000201/human_resources/social_security_card"
            }
            Self::Contributions => {
                "/restapi/prod/IC33000020220301000201/human_resources/contributions"
            }
            Self::EnterpriseSocialSecurity => {
                "/restapi/prod/IC33000020220301000201/human_resources/enterprise_social_security"
            }
            Self::DrivingLicence => {
                "/restapi/prod/IC33000020220301000301/transport/driving_licence"
            }
            Self::Vehicles => "/restapi/prod/IC33000020220301000301/transport/vehicles",
            Self::EnterpriseRegistration => {
                "/restapi/prod/IC33000020220301000401/market_regulation/enterprise_registration"
            }
            Self::EnterpriseCredit => {
                "/restapi/prod/IC33000020220301000401/market_regulation/enterprise_credit"
            }
            Self::EnterpriseRegister => {
                "/restapi/prod/IC33000020220301000401/market_regulation/enterprise_register"
            }
            Self::HealthCard => "/restapi/prod/IC33000020220301000501/health/health_card",
            Self::BirthRecord => "/restapi/prod/IC33000020220301000501/health/birth_record",
            Self::EducationRecord => {
                "/restapi/prod/IC33000020220301000601/education/education_record"
            }
            Self::EnterpriseTax => "/restapi/prod/IC33000020220301000801/taxation/enterprise_tax",
            Self::EnterpriseQualifications => {
                "/restapi/prod/IC33000020220301000901/economy/enterprise_qualifications"
            }
            Self::Certificate(_)
            | Self::IssuerKeys(_)
            | Self::StatusList(_)
            | Self::Correction(_)
            | Self::Intake(_) => own_body_names(self).1,
        }
    }
}

/// The department that issues `kind` (the catalogue names it; a test checks every name parses).
fn issuer_of(kind: CertificateKind) -> Department {
    Department::parse(kind.department()).unwrap_or(Department::PublicSecurity)
}

/// Name and IRS path of the vault's operations (`certificate_driving_licence`,
/// `/restapi/prod/…/transport/certificate_driving_licence`), made once.
fn own_body_names(op: Operation) -> (&'static str, &'static str) {
    static NAMES: std::sync::OnceLock<
        std::collections::HashMap<Operation, (&'static str, &'static str)>,
    > = std::sync::OnceLock::new();
    let names = NAMES.get_or_init(|| {
        Operation::ALL
            .into_iter()
            .filter_map(|op| {
                let name = match op {
                    Operation::Certificate(kind) => format!("certificate_{}", kind.as_str()),
                    Operation::IssuerKeys(d) => format!("issuer_keys_{}", d.as_str()),
                    Operation::StatusList(d) => format!("status_list_{}", d.as_str()),
                    Operation::Correction(d) => format!("correction_{}", d.as_str()),
                    Operation::Intake(d) => format!("intake_{}", d.as_str()),
                    _ => return None,
                };
                let department = op.department();
                let path = format!(
                    "/restapi/prod/{}/{}/{name}",
                    department.interface_code(),
                    department.as_str()
                );
                // A fixed table, made once for the process: leaking it gives 'static names.
                let name: &'static str = Box::leak(name.into_boxed_str());
                let path: &'static str = Box::leak(path.into_boxed_str());
                Some((op, (name, path)))
            })
            .collect()
    });
    names
        .get(&op)
        .copied()
        .unwrap_or(("unknown", "/restapi/prod/unknown"))
}

/// Body of an issuance: whose certificate, bound to which device key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificateQuery {
    /// The resident ID number.
    pub id_number: String,
    /// The holder's key for this credential (the device made it; it never leaves the device's
    /// key store in private form).
    pub holder_jwk: Sm2Jwk,
}

/// Body of a question about a person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonQuery {
    /// The resident ID number.
    pub id_number: String,
}

/// Body of a question about an enterprise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnterpriseQuery {
    /// Unified social credit code.
    pub uscc: String,
}

/// Body of [`Operation::EnterpriseRegister`]: the page after a USCC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterQuery {
    /// The last USCC of the previous page; none for the first page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// Entries per page (1–1000).
    pub limit: u32,
}

/// The department envelope: `{code, msg, data}`; `code` `"00"` is success, `"04"` not found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeptResponse<T> {
    /// `"00"` success, `"04"` no record, anything else an error.
    pub code: String,
    /// Message.
    pub msg: String,
    /// The record, on success.
    #[serde(default = "Option::default")]
    pub data: Option<T>,
}

/// Success code of [`DeptResponse`].
pub const CODE_OK: &str = "00";
/// "No record" code of [`DeptResponse`]: the person or enterprise has none (not an error).
pub const CODE_NOT_FOUND: &str = "04";
/// "Bad request" code of [`DeptResponse`]: the body or the ID in it was not acceptable.
pub const CODE_BAD_REQUEST: &str = "40";

// The records themselves are domain types (the SDK shows them, the vault will keep them): one
// definition, in `zhelikit_domain::records`, which this contract re-exports.
pub use zhelikit_domain::forms::submission::{IntakeFiling, IntakeReceipt};
pub use zhelikit_domain::gm::Sm2Jwk;
pub use zhelikit_domain::records::{
    Birth, BirthRecord, ContributionMonth, Contributions, DrivingLicence, EducationRecord,
    EnterpriseCredit, EnterpriseQualification, EnterpriseQualifications, EnterpriseRegister,
    EnterpriseRegistration, EnterpriseSocialSecurity, EnterpriseTax, HealthCard, HouseholdMember,
    HouseholdRegister, RegisterEntry, ResidentIdCard, SocialSecurityCard, Vaccination, Vehicle,
    Vehicles,
};
pub use zhelikit_domain::vault::correction::{CorrectionFiling, CorrectionReceipt};
pub use zhelikit_domain::vault::{
    CertificateKind, IssuedCertificate, IssuerKeySet, StatusListToken,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_paths_are_distinct() {
        for d in Department::ALL {
            assert_eq!(Department::parse(d.as_str()), Some(d));
        }
        for op in Operation::ALL {
            let dept = op.department();
            assert_eq!(
                op.path(),
                format!(
                    "/restapi/prod/{}/{}/{}",
                    dept.interface_code(),
                    dept.as_str(),
                    op.as_str()
                ),
                "{op:?}"
            );
        }
        let mut paths: Vec<&str> = Operation::ALL.iter().map(|o| o.path()).collect();
        paths.sort();
        paths.dedup();
        assert_eq!(paths.len(), Operation::ALL.len());
        for kind in CertificateKind::ALL {
            assert!(Department::parse(kind.department()).is_some(), "{kind:?}");
        }
        assert_eq!(
            Operation::Certificate(CertificateKind::DrivingLicence).path(),
            "/restapi/prod/IC33000020220301000301/transport/certificate_driving_licence"
        );
        assert_eq!(
            Operation::Contributions.path(),
            "/restapi/prod/IC33000020220301000201/human_resources/contributions"
        );
    }
}
