//! The e-certificates (电子证照) ZheliKit's vault holds — the seed plan's eight and the electronic
//! resident ID — each issued by the department that owns it, and the claims each carries:
//! raw values, masked values and predicates, every one its own disclosure.
//!
//! Presentations default to the masked and predicate claims ([`ClaimClass::shown_by_default`]):
//! a person shows `age_over_18`, not a birth date, unless they choose otherwise.

use serde::{Deserialize, Serialize};

/// A kind of e-certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum CertificateKind {
    /// 电子居民身份证 (公安).
    ResidentId,
    /// 户口本 (公安).
    HouseholdRegister,
    /// 电子驾驶证 (交通).
    DrivingLicence,
    /// 电子行驶证 (交通).
    VehicleLicence,
    /// 社保卡 (人社).
    SocialSecurityCard,
    /// 职业资格证书 (人社).
    ProfessionalQualification,
    /// 学籍学历证明 (教育).
    Education,
    /// 购房证明 (住建).
    HomePurchase,
    /// 出生医学证明 (卫健).
    BirthCertificate,
}

/// How a claim shows the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ClaimClass {
    /// The value itself (姓名, 证件号码). Shown only when the person chooses, after
    /// re-authenticating.
    Raw,
    /// The value masked by the issuer (`330302********1234`).
    Masked,
    /// A yes/no fact the issuer vouches for (`age_over_18`).
    Predicate,
}

impl ClaimClass {
    /// Whether presentations include claims of this class unless the person says otherwise.
    pub fn shown_by_default(self) -> bool {
        !matches!(self, Self::Raw)
    }
}

/// One claim of a kind: its name in the credential, what a person reads, its class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimDef {
    /// The claim name, e.g. `id_number_masked`.
    pub name: &'static str,
    /// What a person reads, e.g. `证件号码（脱敏）`.
    pub label: &'static str,
    /// Raw, masked or predicate.
    pub class: ClaimClass,
}

const fn raw(name: &'static str, label: &'static str) -> ClaimDef {
    ClaimDef {
        name,
        label,
        class: ClaimClass::Raw,
    }
}

const fn masked(name: &'static str, label: &'static str) -> ClaimDef {
    ClaimDef {
        name,
        label,
        class: ClaimClass::Masked,
    }
}

const fn predicate(name: &'static str, label: &'static str) -> ClaimDef {
    ClaimDef {
        name,
        label,
        class: ClaimClass::Predicate,
    }
}

/// Claims every personal certificate carries about its holder.
const HOLDER: [ClaimDef; 4] = [
    raw("name", "姓名"),
    masked("name_masked", "姓名（脱敏）"),
    raw("id_number", "公民身份号码"),
    masked("id_number_masked", "公民身份号码（脱敏）"),
];

impl CertificateKind {
    /// Every kind, in the order the vault lists them.
    pub const ALL: [CertificateKind; 9] = [
        Self::ResidentId,
        Self::HouseholdRegister,
        Self::DrivingLicence,
        Self::VehicleLicence,
        Self::SocialSecurityCard,
        Self::ProfessionalQualification,
        Self::Education,
        Self::HomePurchase,
        Self::BirthCertificate,
    ];

    /// Stable name (paths, storage), e.g. `driving_licence`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ResidentId => "resident_id",
            Self::HouseholdRegister => "household_register",
            Self::DrivingLicence => "driving_licence",
            Self::VehicleLicence => "vehicle_licence",
            Self::SocialSecurityCard => "social_security_card",
            Self::ProfessionalQualification => "professional_qualification",
            Self::Education => "education",
            Self::HomePurchase => "home_purchase",
            Self::BirthCertificate => "birth_certificate",
        }
    }

    /// The kind named `text`.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// The credential type (`vct`), e.g. `urn:zhelikit:cert:driving_licence`.
    pub fn vct(self) -> String {
        format!("{VCT_PREFIX}{}", self.as_str())
    }

    /// The kind of a `vct`.
    pub fn from_vct(vct: &str) -> Option<Self> {
        vct.strip_prefix(VCT_PREFIX).and_then(Self::parse)
    }

    /// What a person calls it.
    pub fn name_zh(self) -> &'static str {
        match self {
            Self::ResidentId => "电子居民身份证",
            Self::HouseholdRegister => "户口本",
            Self::DrivingLicence => "电子驾驶证",
            Self::VehicleLicence => "电子行驶证",
            Self::SocialSecurityCard => "社会保障卡",
            Self::ProfessionalQualification => "职业资格证书",
            Self::Education => "学籍学历证明",
            Self::HomePurchase => "购房证明",
            Self::BirthCertificate => "出生医学证明",
        }
    }

    /// The issuing department (`platform_api::departments::Department::as_str`).
    pub fn department(self) -> &'static str {
        match self {
            Self::ResidentId | Self::HouseholdRegister => "public_security",
            Self::DrivingLicence | Self::VehicleLicence => "transport",
            Self::SocialSecurityCard | Self::ProfessionalQualification => "human_resources",
            Self::Education => "education",
            Self::HomePurchase => "housing",
            Self::BirthCertificate => "health",
        }
    }

    /// Its claims, holder's first.
    pub fn claims(self) -> Vec<ClaimDef> {
        let own: &[ClaimDef] = match self {
            Self::ResidentId => &[
                raw("sex", "性别"),
                raw("nation", "民族"),
                raw("birth_date", "出生日期"),
                raw("address", "住址"),
                masked("address_masked", "住址（脱敏）"),
                raw("issued_by", "签发机关"),
                raw("valid_until", "有效期至"),
                predicate("age_over_18", "已满 18 周岁"),
                predicate("age_over_60", "已满 60 周岁"),
                predicate("resident_of_wenzhou", "温州市户籍"),
            ],
            Self::HouseholdRegister => &[
                raw("household_number", "户号"),
                raw("relation_to_head", "与户主关系"),
                raw("address", "户籍地址"),
                masked("address_masked", "户籍地址（脱敏）"),
                raw("police_station", "登记机关"),
                predicate("resident_of_wenzhou", "温州市户籍"),
            ],
            Self::DrivingLicence => &[
                raw("licence_number", "驾驶证号"),
                masked("licence_number_masked", "驾驶证号（脱敏）"),
                raw("licence_class", "准驾车型"),
                raw("valid_until", "有效期至"),
                raw("points_deducted", "累积记分"),
                predicate("licence_valid", "驾驶证状态正常"),
                predicate("age_over_18", "已满 18 周岁"),
            ],
            Self::VehicleLicence => &[
                raw("plate", "号牌号码"),
                masked("plate_masked", "号牌号码（脱敏）"),
                raw("model", "品牌型号"),
                raw("inspection_due", "检验有效期至"),
                predicate("inspection_valid", "在检验有效期内"),
            ],
            Self::SocialSecurityCard => &[
                raw("card_number", "社会保障号码"),
                masked("card_number_masked", "社会保障号码（脱敏）"),
                raw("bank", "发卡银行"),
                predicate("card_active", "卡状态正常"),
                predicate("insured", "正在参保"),
            ],
            Self::ProfessionalQualification => &[
                raw("qualification", "资格名称"),
                raw("level", "等级"),
                raw("certificate_number", "证书编号"),
                masked("certificate_number_masked", "证书编号（脱敏）"),
                raw("issued_at", "发证日期"),
                predicate("qualification_valid", "证书有效"),
            ],
            Self::Education => &[
                raw("highest_degree", "最高学历"),
                raw("school", "毕业院校"),
                raw("graduated_at", "毕业时间"),
                raw("certificate_number", "证书编号"),
                masked("certificate_number_masked", "证书编号（脱敏）"),
                predicate("bachelor_or_above", "本科及以上学历"),
            ],
            Self::HomePurchase => &[
                raw("property_address", "房屋坐落"),
                masked("property_address_masked", "房屋坐落（脱敏）"),
                raw("floor_area", "建筑面积（平方米）"),
                raw("contract_number", "合同备案号"),
                raw("registered_at", "备案日期"),
                predicate("owns_home_in_wenzhou", "在温州市有住房"),
            ],
            Self::BirthCertificate => &[
                raw("child_name", "新生儿姓名"),
                raw("birth_date", "出生日期"),
                raw("birth_place", "出生地点"),
                raw("hospital", "接生机构"),
                raw("certificate_number", "出生医学证明编号"),
                masked("certificate_number_masked", "出生医学证明编号（脱敏）"),
                predicate("born_in_wenzhou", "在温州市出生"),
            ],
        };
        HOLDER.iter().chain(own).copied().collect()
    }

    /// The definition of claim `name` of this kind.
    pub fn claim(self, name: &str) -> Option<ClaimDef> {
        self.claims().into_iter().find(|c| c.name == name)
    }

    /// The claims a presentation shows unless the person chooses: masked and predicates.
    pub fn default_disclosure(self) -> Vec<&'static str> {
        self.claims()
            .into_iter()
            .filter(|c| c.class.shown_by_default())
            .map(|c| c.name)
            .collect()
    }
}

/// What every `vct` of ZheliKit starts with.
pub const VCT_PREFIX: &str = "urn:zhelikit:cert:";

/// The issuer id (`iss`) of a department's credentials and status list, e.g.
/// `urn:zhelikit:issuer:transport`.
pub fn issuer_id(department: &str) -> String {
    format!("urn:zhelikit:issuer:{department}")
}

/// The URI of a department's status list (its token's `sub`).
pub fn status_list_uri(department: &str) -> String {
    format!("urn:zhelikit:status:{department}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_and_has_distinct_claims_with_a_predicate() {
        for kind in CertificateKind::ALL {
            assert_eq!(CertificateKind::parse(kind.as_str()), Some(kind));
            assert_eq!(CertificateKind::from_vct(&kind.vct()), Some(kind));
            let claims = kind.claims();
            let mut names: Vec<&str> = claims.iter().map(|c| c.name).collect();
            names.sort();
            names.dedup();
            assert_eq!(
                names.len(),
                claims.len(),
                "{kind:?}: claim names are distinct"
            );
            assert!(
                claims.iter().any(|c| c.class == ClaimClass::Predicate),
                "{kind:?} has a predicate"
            );
            assert!(
                kind.default_disclosure()
                    .iter()
                    .all(|n| kind.claim(n).is_some_and(|c| c.class != ClaimClass::Raw)),
                "{kind:?}: raw claims are never shown by default"
            );
        }
    }
}
