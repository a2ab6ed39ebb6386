//! 国民经济行业分类 (GB/T 4754-2017): the industry an enterprise is registered in, and the
//! industry prefixes a policy names.
//!
//! A code is a section letter (门类, `C`) followed by up to four digits: the division (大类, `C38`),
//! the group (中类, `C382`) and the class (小类, `C3823`). Divisions are numbered across the whole
//! standard, so the digits alone name an industry; the letter is kept because the market
//! regulator prints it and a policy reads better with it (`C38 电气机械和器材制造业`).
//!
//! The table here holds every section and every division of the standard. Groups and classes are
//! checked for form (digits under a known division) and named where [`CLASSES`] knows them; the
//! full class table (1,380 classes) is not embedded.

use serde::{Deserialize, Serialize};

/// A section (门类) of GB/T 4754-2017: its letter, name and the divisions it spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Section {
    /// `A` … `T`.
    pub letter: char,
    /// Name, e.g. `制造业`.
    pub name: &'static str,
    /// First and last division number in the section.
    pub divisions: (u8, u8),
}

/// The twenty sections, in order.
pub const SECTIONS: [Section; 20] = [
    section('A', "农、林、牧、渔业", 1, 5),
    section('B', "采矿业", 6, 12),
    section('C', "制造业", 13, 43),
    section('D', "电力、热力、燃气及水生产和供应业", 44, 46),
    section('E', "建筑业", 47, 50),
    section('F', "批发和零售业", 51, 52),
    section('G', "交通运输、仓储和邮政业", 53, 60),
    section('H', "住宿和餐饮业", 61, 62),
    section('I', "信息传输、软件和信息技术服务业", 63, 65),
    section('J', "金融业", 66, 69),
    section('K', "房地产业", 70, 70),
    section('L', "租赁和商务服务业", 71, 72),
    section('M', "科学研究和技术服务业", 73, 75),
    section('N', "水利、环境和公共设施管理业", 76, 79),
    section('O', "居民服务、修理和其他服务业", 80, 82),
    section('P', "教育", 83, 83),
    section('Q', "卫生和社会工作", 84, 85),
    section('R', "文化、体育和娱乐业", 86, 90),
    section('S', "公共管理、社会保障和社会组织", 91, 96),
    section('T', "国际组织", 97, 97),
];

const fn section(letter: char, name: &'static str, first: u8, last: u8) -> Section {
    Section {
        letter,
        name,
        divisions: (first, last),
    }
}

/// The 97 divisions (大类), indexed by number − 1.
pub const DIVISIONS: [&str; 97] = [
    "农业",
    "林业",
    "畜牧业",
    "渔业",
    "农、林、牧、渔专业及辅助性活动",
    "煤炭开采和洗选业",
    "石油和天然气开采业",
    "黑色金属矿采选业",
    "有色金属矿采选业",
    "非金属矿采选业",
    "开采专业及辅助性活动",
    "其他采矿业",
    "农副食品加工业",
    "食品制造业",
    "酒、饮料和精制茶制造业",
    "烟草制品业",
    "纺织业",
    "纺织服装、服饰业",
    "皮革、毛皮、羽毛及其制品和制鞋业",
    "木材加工和木、竹、藤、棕、草制品业",
    "家具制造业",
    "造纸和纸制品业",
    "印刷和记录媒介复制业",
    "文教、工美、体育和娱乐用品制造业",
    "石油、煤炭及其他燃料加工业",
    "化学原料和化学制品制造业",
    "医药制造业",
    "化学纤维制造业",
    "橡胶和塑料制品业",
    "非金属矿物制品业",
    "黑色金属冶炼和压延加工业",
    "有色金属冶炼和压延加工业",
    "金属制品业",
    "通用设备制造业",
    "专用设备制造业",
    "汽车制造业",
    "铁路、船舶、航空航天和其他运输设备制造业",
    "电气机械和器材制造业",
    "计算机、通信和其他电子设备制造业",
    "仪器仪表制造业",
    "其他制造业",
    "废弃资源综合利用业",
    "金属制品、机械和设备修理业",
    "电力、热力生产和供应业",
    "燃气生产和供应业",
    "水的生产和供应业",
    "房屋建筑业",
    "土木工程建筑业",
    "建筑安装业",
    "建筑装饰、装修和其他建筑业",
    "批发业",
    "零售业",
    "铁路运输业",
    "道路运输业",
    "水上运输业",
    "航空运输业",
    "管道运输业",
    "多式联运和运输代理业",
    "装卸搬运和仓储业",
    "邮政业",
    "住宿业",
    "餐饮业",
    "电信、广播电视和卫星传输服务",
    "互联网和相关服务",
    "软件和信息技术服务业",
    "货币金融服务",
    "资本市场服务",
    "保险业",
    "其他金融业",
    "房地产业",
    "租赁业",
    "商务服务业",
    "研究和试验发展",
    "专业技术服务业",
    "科技推广和应用服务业",
    "水利管理业",
    "生态保护和环境治理业",
    "公共设施管理业",
    "土地管理业",
    "居民服务业",
    "机动车、电子产品和日用产品修理业",
    "其他服务业",
    "教育",
    "卫生",
    "社会工作",
    "新闻和出版业",
    "广播、电视、电影和录音制作业",
    "文化艺术业",
    "体育",
    "娱乐业",
    "中国共产党机关",
    "国家机构",
    "人民政协、民主党派",
    "社会保障",
    "群众团体、社会团体和其他成员组织",
    "基层群众自治组织及其他组织",
    "国际组织",
];

/// Groups and classes (中类, 小类) named in screens: those of Wenzhou's main industries, which
/// the fixtures and the demo policies use. Other valid codes are shown by their division.
pub const CLASSES: &[(&str, &str)] = &[
    ("C14", "食品制造业"),
    ("C1419", "其他焙烤食品制造"),
    ("C1810", "机织服装制造"),
    ("C195", "制鞋业"),
    ("C1952", "皮鞋制造"),
    ("C231", "印刷"),
    ("C2319", "包装装潢及其他印刷"),
    ("C2231", "纸和纸板容器制造"),
    ("C2411", "文具制造"),
    ("C344", "泵、阀门、压缩机及类似机械制造"),
    ("C3443", "阀门和旋塞制造"),
    ("C3499", "其他未列明通用设备制造业"),
    ("C3587", "眼镜制造"),
    ("C3670", "汽车零部件及配件制造"),
    ("C382", "输配电及控制设备制造"),
    ("C3823", "配电开关控制设备制造"),
    ("C3976", "光电子器件制造"),
    ("E4710", "住宅房屋建筑"),
    ("F5137", "服装批发"),
    ("F5191", "贸易代理"),
    ("G5430", "道路货物运输"),
    ("G5920", "通用仓储"),
    ("I65", "软件和信息技术服务业"),
    ("I6511", "基础软件开发"),
    ("I6513", "应用软件开发"),
    ("I6531", "信息技术咨询服务"),
    ("K7010", "房地产开发经营"),
    ("K7020", "物业管理"),
];

/// An industry code or prefix: a section letter and 0–4 digits under a known division.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Industry {
    letter: u8,
    /// The digits as written, left-aligned in four places with the count kept, so `C38` and
    /// `C3800` stay different codes (a division and a class).
    digits: u16,
    len: u8,
}

/// Why a string is not an industry code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndustryError {
    /// Not a letter `A`–`T` followed by at most four digits.
    Form,
    /// The division is not in the standard, or not in the letter's section.
    UnknownDivision,
}

impl Industry {
    /// Parses `C`, `C38`, `C382` or `C3823`.
    pub fn parse(code: &str) -> Result<Self, IndustryError> {
        let bytes = code.as_bytes();
        let (&letter, digits) = bytes.split_first().ok_or(IndustryError::Form)?;
        let section = SECTIONS
            .iter()
            .find(|s| s.letter as u32 == u32::from(letter))
            .ok_or(IndustryError::Form)?;
        if digits.len() > 4 || digits.len() == 1 || !digits.iter().all(u8::is_ascii_digit) {
            return Err(IndustryError::Form);
        }
        let mut value = 0u16;
        for (i, d) in digits.iter().enumerate() {
            value += u16::from(d - b'0') * 10u16.pow(3 - i as u32);
        }
        let industry = Industry {
            letter,
            digits: value,
            len: digits.len() as u8,
        };
        if let Some(division) = industry.division() {
            if !(section.divisions.0..=section.divisions.1).contains(&division)
                || division == 0
                || usize::from(division) > DIVISIONS.len()
            {
                return Err(IndustryError::UnknownDivision);
            }
        }
        Ok(industry)
    }

    /// The section letter.
    pub fn letter(self) -> char {
        char::from(self.letter)
    }

    /// The section.
    pub fn section(self) -> &'static Section {
        // `parse` only accepts letters in SECTIONS.
        SECTIONS
            .iter()
            .find(|s| s.letter as u32 == u32::from(self.letter))
            .unwrap_or(&SECTIONS[0])
    }

    /// The division number (`38` for `C3823`), or `None` for a bare section.
    pub fn division(self) -> Option<u8> {
        (self.len >= 2).then_some((self.digits / 100) as u8)
    }

    /// How many digits the code has: 0 (section) to 4 (class).
    pub fn depth(self) -> u8 {
        self.len
    }

    /// True when `self`, read as a prefix, covers `other` (`C38` covers `C3823`).
    pub fn covers(self, other: Industry) -> bool {
        if self.letter != other.letter || self.len > other.len {
            return false;
        }
        let scale = 10u16.pow(4 - u32::from(self.len));
        self.digits / scale == other.digits / scale
    }

    /// The code as written, e.g. `C3823`.
    pub fn code(self) -> String {
        let mut s = String::with_capacity(5);
        s.push(self.letter());
        let digits = format!("{:04}", self.digits);
        s.push_str(&digits[..usize::from(self.len)]);
        s
    }

    /// The code's name: its own where known, else its division's, else its section's.
    pub fn name(self) -> &'static str {
        let code = self.code();
        if let Some((_, name)) = CLASSES.iter().find(|(c, _)| *c == code) {
            return name;
        }
        match self.division() {
            Some(d) => DIVISIONS.get(usize::from(d) - 1).copied().unwrap_or(""),
            None => self.section().name,
        }
    }

    /// The code and its name, as a screen shows it: `C3823 配电开关控制设备制造`.
    pub fn label(self) -> String {
        format!("{} {}", self.code(), self.name())
    }
}

impl std::fmt::Display for Industry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.code())
    }
}

impl Serialize for Industry {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.code())
    }
}

impl<'de> Deserialize<'de> for Industry {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Industry::parse(&s).map_err(|e| {
            serde::de::Error::custom(match e {
                IndustryError::Form => format!("{s:?} is not a GB/T 4754-2017 industry code"),
                IndustryError::UnknownDivision => {
                    format!("{s:?} names no division of GB/T 4754-2017")
                }
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ind(code: &str) -> Industry {
        Industry::parse(code).unwrap_or_else(|e| panic!("{code}: {e:?}"))
    }

    #[test]
    fn sections_span_every_division_once_in_order() {
        let mut next = 1;
        for s in SECTIONS {
            assert_eq!(s.divisions.0, next, "{}", s.letter);
            next = s.divisions.1 + 1;
        }
        assert_eq!(usize::from(next - 1), DIVISIONS.len());
    }

    #[test]
    fn codes_parse_at_every_depth_and_print_as_written() {
        for code in ["C", "C38", "C382", "C3823", "I65", "A0111", "T97", "C3800"] {
            assert_eq!(ind(code).code(), code);
        }
        assert_eq!(ind("C3823").division(), Some(38));
        assert_eq!(ind("C").division(), None);
        assert_ne!(ind("C38"), ind("C3800"));
    }

    #[test]
    fn malformed_codes_and_divisions_outside_their_section_are_refused() {
        for code in ["", "c38", "Z38", "C3", "C38231", "C3a", "38"] {
            assert_eq!(Industry::parse(code), Err(IndustryError::Form), "{code}");
        }
        // 65 is in section I, not C; 98 is past the last division; 00 is no division.
        for code in ["C65", "T98", "A00", "I6500x"] {
            assert!(Industry::parse(code).is_err(), "{code}");
        }
        assert_eq!(Industry::parse("C65"), Err(IndustryError::UnknownDivision));
    }

    #[test]
    fn a_prefix_covers_the_codes_below_it_and_nothing_else() {
        assert!(ind("C").covers(ind("C3823")));
        assert!(ind("C38").covers(ind("C3823")));
        assert!(ind("C382").covers(ind("C3823")));
        assert!(ind("C3823").covers(ind("C3823")));
        assert!(!ind("C381").covers(ind("C3823")));
        assert!(!ind("C3823").covers(ind("C382")));
        assert!(!ind("I").covers(ind("C3823")));
    }

    #[test]
    fn names_fall_back_from_class_to_division_to_section() {
        assert_eq!(ind("C3823").label(), "C3823 配电开关控制设备制造");
        assert_eq!(ind("C3811").name(), "电气机械和器材制造业");
        assert_eq!(ind("I").name(), "信息传输、软件和信息技术服务业");
        assert_eq!(ind("T97").name(), "国际组织");
    }

    #[test]
    fn every_named_class_is_a_valid_code() {
        for (code, _) in CLASSES {
            ind(code);
        }
    }
}
