//! The forms' expression language. Relevance, constraints, calculations and defaults are
//! written in it with XLSForm's spelling — `${field}`, `.` for the field itself, `and` / `or`
//! / `not()`, `if()`, `coalesce()`, `today()`, `age()`, `count()`, `sum()`, `selected()`,
//! `regex()`, `string-length()` — parsed here (no JavaScript anywhere) and type-checked when a
//! form is loaded, so `${age} + 'x'` or a bad pattern is refused before anyone fills it in.
//!
//! Values: an empty field is `Null`; arithmetic on `Null` is `Null`, a comparison with it is
//! false, and `coalesce()` gives a fallback. Money is kept in fen (分) and added to money only;
//! it is multiplied or divided by a number, and compared with money (`yuan(3000)` is an
//! amount).

use crate::lang::Text;

/// The type of a single value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scalar {
    /// `true` / `false`.
    Bool,
    /// A whole number.
    Int,
    /// A decimal number.
    Decimal,
    /// An amount of money, in fen.
    Money,
    /// Text.
    Text,
    /// A day (days since 1970-01-01).
    Date,
    /// The codes chosen in a select-many field.
    Choices,
}

/// The type of an expression or a field as an expression sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    /// One value.
    One(Scalar),
    /// A field inside a repeat, seen from outside it: one value per instance.
    Many(Scalar),
    /// A repeat group itself (its instances can be counted).
    Repeat,
}

impl Type {
    /// Its name, zh-CN.
    pub fn zh(self) -> String {
        match self {
            Type::One(s) => scalar_zh(s).to_string(),
            Type::Many(s) => format!("{}列表", scalar_zh(s)),
            Type::Repeat => "重复组".to_string(),
        }
    }
}

/// A scalar type's name, zh-CN.
pub fn scalar_zh(s: Scalar) -> &'static str {
    match s {
        Scalar::Bool => "布尔值",
        Scalar::Int => "整数",
        Scalar::Decimal => "小数",
        Scalar::Money => "金额",
        Scalar::Text => "文本",
        Scalar::Date => "日期",
        Scalar::Choices => "多选",
    }
}

/// A value while a form is filled in.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Empty.
    Null,
    /// A boolean.
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// A decimal number.
    Decimal(f64),
    /// Money, in fen.
    Money(i64),
    /// Text.
    Text(String),
    /// A day (days since 1970-01-01).
    Date(i64),
    /// Codes chosen.
    Choices(Vec<String>),
    /// A field's values across a repeat's instances.
    Many(Vec<Value>),
    /// A repeat: how many instances it has.
    Repeat(usize),
}

impl Value {
    /// True only for `Bool(true)`: an empty relevance or constraint does not hold.
    pub fn truthy(&self) -> bool {
        matches!(self, Value::Bool(true))
    }
}

/// Why an expression was refused: where (a character offset) and what, in zh-CN and English.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprError {
    /// The character offset in the expression.
    pub at: usize,
    /// What is wrong.
    pub message: Text,
}

fn error(at: usize, zh: impl Into<String>, en: impl Into<String>) -> ExprError {
    ExprError {
        at,
        message: Text::new(zh, en),
    }
}

/// What a form's fields are, for the type check.
pub trait Schema {
    /// The type of field `name` as seen from the expression's field, if there is one.
    fn type_of(&self, name: &str) -> Option<Type>;

    /// Whether a bare `name` is a column of the choice being filtered (a choice filter's
    /// `city = ${city}`); nowhere else is a bare name one.
    fn is_column(&self, _name: &str) -> bool {
        false
    }
}

/// What a form's fields hold, for evaluation.
pub trait Env {
    /// Field `name`'s value, as seen from the expression's field.
    fn value(&self, name: &str) -> Value;
    /// Today, in days since 1970-01-01 (in China).
    fn today(&self) -> i64;

    /// Column `name` of the choice being filtered, as text.
    fn column(&self, _name: &str) -> Value {
        Value::Null
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

/// A parsed expression.
#[derive(Debug, Clone)]
pub struct Expr {
    node: Node,
    at: usize,
}

#[derive(Debug, Clone)]
enum Node {
    Literal(Value),
    Field(String),
    Column(String),
    Itself,
    Neg(Box<Expr>),
    Binary(Op, Box<Expr>, Box<Expr>),
    Call(Function, Vec<Expr>),
    Regex(Box<Expr>, regex::Regex),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Function {
    If,
    Coalesce,
    Not,
    Today,
    Date,
    Age,
    Count,
    CountSelected,
    Sum,
    Selected,
    StringLength,
    Concat,
    Yuan,
}

impl Function {
    fn named(name: &str) -> Option<Self> {
        Some(match name {
            "if" => Self::If,
            "coalesce" => Self::Coalesce,
            "not" => Self::Not,
            "today" => Self::Today,
            "date" => Self::Date,
            "age" => Self::Age,
            "count" => Self::Count,
            "count-selected" => Self::CountSelected,
            "sum" => Self::Sum,
            "selected" => Self::Selected,
            "string-length" => Self::StringLength,
            "concat" => Self::Concat,
            "yuan" => Self::Yuan,
            _ => return None,
        })
    }

    fn arity(self) -> (usize, usize) {
        match self {
            Self::If => (3, 3),
            Self::Coalesce | Self::Concat => (2, 8),
            Self::Today => (0, 0),
            Self::Selected => (2, 2),
            _ => (1, 1),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Number(String),
    Str(String),
    Field(String),
    Dot,
    Name(String),
    LParen,
    RParen,
    Comma,
    Op(&'static str),
}

fn lex(src: &str) -> Result<Vec<(usize, Token)>, ExprError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        match c {
            ' ' | '\t' | '\n' | '\r' => i += 1,
            '(' => {
                out.push((start, Token::LParen));
                i += 1;
            }
            ')' => {
                out.push((start, Token::RParen));
                i += 1;
            }
            ',' => {
                out.push((start, Token::Comma));
                i += 1;
            }
            '$' if chars.get(i + 1) == Some(&'{') => {
                let close = chars[i..].iter().position(|&c| c == '}').map(|p| i + p);
                let Some(close) = close else {
                    return Err(error(
                        start,
                        "字段引用缺少 }",
                        "a field reference lacks its }",
                    ));
                };
                let name: String = chars[i + 2..close].iter().collect();
                if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
                    return Err(error(
                        start,
                        format!("字段名 {name:?} 不合法"),
                        format!("field name {name:?} is not valid"),
                    ));
                }
                out.push((start, Token::Field(name)));
                i = close + 1;
            }
            '\'' | '"' => {
                let close = chars[i + 1..]
                    .iter()
                    .position(|&q| q == c)
                    .map(|p| i + 1 + p);
                let Some(close) = close else {
                    return Err(error(
                        start,
                        "字符串缺少结束引号",
                        "a string lacks its closing quote",
                    ));
                };
                out.push((start, Token::Str(chars[i + 1..close].iter().collect())));
                i = close + 1;
            }
            '0'..='9' => {
                while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                    i += 1;
                }
                out.push((start, Token::Number(chars[start..i].iter().collect())));
            }
            '.' => {
                out.push((start, Token::Dot));
                i += 1;
            }
            c if c.is_ascii_alphabetic() => {
                while i < chars.len()
                    && (chars[i].is_ascii_alphanumeric() || chars[i] == '-' || chars[i] == '_')
                {
                    i += 1;
                }
                out.push((start, Token::Name(chars[start..i].iter().collect())));
            }
            _ => {
                let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
                let op = match two.as_str() {
                    "!=" => Some("!="),
                    "<=" => Some("<="),
                    ">=" => Some(">="),
                    _ => None,
                };
                if let Some(op) = op {
                    out.push((start, Token::Op(op)));
                    i += 2;
                    continue;
                }
                let op = match c {
                    '=' => "=",
                    '<' => "<",
                    '>' => ">",
                    '+' => "+",
                    '-' => "-",
                    '*' => "*",
                    '/' => "/",
                    _ => {
                        return Err(error(
                            start,
                            format!("无法识别的字符 {c:?}"),
                            format!("unexpected character {c:?}"),
                        ))
                    }
                };
                out.push((start, Token::Op(op)));
                i += 1;
            }
        }
    }
    Ok(out)
}

/// Most tokens in one expression: a form's rule is a line, not a program. It bounds the
/// tree's depth too (a left-leaning `1 + 1 + …` is as deep as it is long), so checking and
/// evaluating, which recurse, cannot exhaust a thread's stack.
pub const MAX_TOKENS: usize = 500;

/// Deepest nesting of parentheses, calls and signs.
pub const MAX_NESTING: u32 = 48;

struct Parser {
    tokens: Vec<(usize, Token)>,
    pos: usize,
    end: usize,
    /// How deep in parentheses, calls and signs the parser is.
    nesting: u32,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos).map(|(_, t)| t)
    }

    fn at(&self) -> usize {
        self.tokens.get(self.pos).map_or(self.end, |(a, _)| *a)
    }

    fn binary_op(&self) -> Option<(Op, u8)> {
        Some(match self.peek()? {
            Token::Name(n) if n == "or" => (Op::Or, 1),
            Token::Name(n) if n == "and" => (Op::And, 2),
            Token::Op("=") => (Op::Eq, 3),
            Token::Op("!=") => (Op::Ne, 3),
            Token::Op("<") => (Op::Lt, 3),
            Token::Op("<=") => (Op::Le, 3),
            Token::Op(">") => (Op::Gt, 3),
            Token::Op(">=") => (Op::Ge, 3),
            Token::Op("+") => (Op::Add, 4),
            Token::Op("-") => (Op::Sub, 4),
            Token::Op("*") => (Op::Mul, 5),
            Token::Op("/") => (Op::Div, 5),
            Token::Name(n) if n == "div" => (Op::Div, 5),
            Token::Name(n) if n == "mod" => (Op::Mod, 5),
            _ => return None,
        })
    }

    fn expression(&mut self, min: u8) -> Result<Expr, ExprError> {
        let mut left = self.unary()?;
        while let Some((op, precedence)) = self.binary_op() {
            if precedence < min {
                break;
            }
            let at = self.at();
            self.pos += 1;
            // Comparisons do not chain (`a < b < c` is refused below, as a Bool compared).
            let right = self.expression(precedence + 1)?;
            left = Expr {
                node: Node::Binary(op, Box::new(left), Box::new(right)),
                at,
            };
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, ExprError> {
        if self.nesting >= MAX_NESTING {
            return Err(error(
                self.at(),
                format!("表达式嵌套过深（最多 {MAX_NESTING} 层）"),
                format!("the expression nests too deep (at most {MAX_NESTING} levels)"),
            ));
        }
        self.nesting += 1;
        let found = self.signed();
        self.nesting -= 1;
        found
    }

    fn signed(&mut self) -> Result<Expr, ExprError> {
        if self.peek() == Some(&Token::Op("-")) {
            let at = self.at();
            self.pos += 1;
            let inner = self.unary()?;
            return Ok(Expr {
                node: Node::Neg(Box::new(inner)),
                at,
            });
        }
        self.primary()
    }

    fn expect(&mut self, token: Token, zh: &str, en: &str) -> Result<(), ExprError> {
        if self.peek() == Some(&token) {
            self.pos += 1;
            Ok(())
        } else {
            Err(error(self.at(), zh, en))
        }
    }

    fn primary(&mut self) -> Result<Expr, ExprError> {
        let at = self.at();
        let Some((_, token)) = self.tokens.get(self.pos).cloned() else {
            return Err(error(at, "表达式不完整", "the expression ends too early"));
        };
        self.pos += 1;
        let node = match token {
            Token::Number(n) => {
                if let Ok(i) = n.parse::<i64>() {
                    Node::Literal(Value::Int(i))
                } else if let Ok(d) = n.parse::<f64>() {
                    Node::Literal(Value::Decimal(d))
                } else {
                    return Err(error(
                        at,
                        format!("数字 {n} 不合法"),
                        format!("number {n} is not valid"),
                    ));
                }
            }
            Token::Str(s) => Node::Literal(Value::Text(s)),
            Token::Field(name) => Node::Field(name),
            Token::Dot => Node::Itself,
            Token::LParen => {
                let inner = self.expression(1)?;
                self.expect(Token::RParen, "缺少 )", "a ) is missing")?;
                return Ok(inner);
            }
            Token::Name(n) if n == "true" || n == "false" => {
                if self.peek() == Some(&Token::LParen) {
                    // XPath's true() / false().
                    self.pos += 1;
                    self.expect(Token::RParen, "缺少 )", "a ) is missing")?;
                }
                Node::Literal(Value::Bool(n == "true"))
            }
            // A bare name not called: a choice's column, in a choice filter.
            Token::Name(name) if self.peek() != Some(&Token::LParen) => Node::Column(name),
            Token::Name(name) => {
                let function = Function::named(&name);
                if function.is_none() && name != "regex" {
                    return Err(error(
                        at,
                        format!("没有函数 {name}"),
                        format!("there is no function {name}"),
                    ));
                }
                self.expect(
                    Token::LParen,
                    "函数名后缺少 (",
                    "a ( must follow a function's name",
                )?;
                let mut args = Vec::new();
                if self.peek() != Some(&Token::RParen) {
                    loop {
                        args.push(self.expression(1)?);
                        if self.peek() == Some(&Token::Comma) {
                            self.pos += 1;
                            continue;
                        }
                        break;
                    }
                }
                self.expect(Token::RParen, "缺少 )", "a ) is missing")?;
                let Some(function) = function else {
                    return regex_call(at, args);
                };
                let (min, max) = function.arity();
                if args.len() < min || args.len() > max {
                    return Err(error(
                        at,
                        format!("函数 {name} 的参数个数不对（{} 个）", args.len()),
                        format!(
                            "function {name} takes {min}–{max} arguments, not {}",
                            args.len()
                        ),
                    ));
                }
                Node::Call(function, args)
            }
            other => {
                return Err(error(
                    at,
                    format!("此处不应出现 {other:?}"),
                    format!("unexpected {other:?}"),
                ))
            }
        };
        Ok(Expr { node, at })
    }
}

/// `regex(text, 'pattern')`: the pattern must be a literal, compiled now.
fn regex_call(at: usize, mut args: Vec<Expr>) -> Result<Expr, ExprError> {
    if args.len() != 2 {
        return Err(error(at, "regex 需要两个参数", "regex takes two arguments"));
    }
    let pattern = args.pop().expect("two");
    let text = args.pop().expect("two");
    let Node::Literal(Value::Text(p)) = &pattern.node else {
        return Err(error(
            pattern.at,
            "regex 的模式须为字符串常量",
            "regex's pattern must be a string literal",
        ));
    };
    let compiled = regex::Regex::new(p).map_err(|e| {
        error(
            pattern.at,
            format!("正则表达式不合法：{e}"),
            format!("the pattern is not valid: {e}"),
        )
    })?;
    Ok(Expr {
        node: Node::Regex(Box::new(text), compiled),
        at,
    })
}

impl Expr {
    /// The fields the expression reads (`${name}`), each once, in the order met.
    pub fn fields(&self) -> Vec<&str> {
        fn walk<'a>(e: &'a Expr, out: &mut Vec<&'a str>) {
            match &e.node {
                Node::Field(name) => {
                    if !out.contains(&name.as_str()) {
                        out.push(name);
                    }
                }
                Node::Neg(inner) | Node::Regex(inner, _) => walk(inner, out),
                Node::Binary(_, a, b) => {
                    walk(a, out);
                    walk(b, out);
                }
                Node::Call(_, args) => args.iter().for_each(|a| walk(a, out)),
                Node::Literal(_) | Node::Column(_) | Node::Itself => {}
            }
        }
        let mut out = Vec::new();
        walk(self, &mut out);
        out
    }
}

/// Parses `src`.
pub fn parse(src: &str) -> Result<Expr, ExprError> {
    let tokens = lex(src)?;
    let end = src.chars().count();
    if tokens.len() > MAX_TOKENS {
        return Err(error(
            tokens[MAX_TOKENS].0,
            format!("表达式过长（最多 {MAX_TOKENS} 个记号）"),
            format!("the expression is too long (at most {MAX_TOKENS} tokens)"),
        ));
    }
    let mut parser = Parser {
        tokens,
        pos: 0,
        end,
        nesting: 0,
    };
    let expr = parser.expression(1)?;
    if parser.pos < parser.tokens.len() {
        return Err(error(
            parser.at(),
            "表达式后有多余内容",
            "unexpected text after the expression",
        ));
    }
    Ok(expr)
}

fn numeric(s: Scalar) -> bool {
    matches!(s, Scalar::Int | Scalar::Decimal)
}

/// The wider of two numeric types.
fn widen(a: Scalar, b: Scalar) -> Scalar {
    if a == Scalar::Decimal || b == Scalar::Decimal {
        Scalar::Decimal
    } else {
        Scalar::Int
    }
}

impl Expr {
    /// The expression's type against `schema`; `itself` is the type of `.` (the field the
    /// expression belongs to), none where `.` means nothing.
    pub fn check(&self, schema: &dyn Schema, itself: Option<Type>) -> Result<Type, ExprError> {
        let wrong = |zh: String, en: String| Err(error(self.at, zh, en));
        let one = |e: &Expr| -> Result<Scalar, ExprError> {
            match e.check(schema, itself)? {
                Type::One(s) => Ok(s),
                other => Err(error(
                    e.at,
                    format!("此处需要单个值，而不是{}", other.zh()),
                    format!("a single value is needed here, not {other:?}"),
                )),
            }
        };
        match &self.node {
            Node::Literal(v) => Ok(Type::One(match v {
                Value::Bool(_) => Scalar::Bool,
                Value::Int(_) => Scalar::Int,
                Value::Decimal(_) => Scalar::Decimal,
                _ => Scalar::Text,
            })),
            Node::Field(name) => schema.type_of(name).map_or_else(
                || {
                    wrong(
                        format!("没有字段 {name}"),
                        format!("there is no field {name}"),
                    )
                },
                Ok,
            ),
            Node::Column(name) if schema.is_column(name) => Ok(Type::One(Scalar::Text)),
            Node::Column(name) => wrong(
                format!("{name} 不是字段引用（字段写作 ${{{name}}}），也不是选项的列"),
                format!("{name} is neither a field (written ${{{name}}}) nor a choice's column"),
            ),
            Node::Itself => itself.map_or_else(
                || {
                    wrong(
                        "此处不能用 . 指代本字段".into(),
                        ". means no field here".into(),
                    )
                },
                Ok,
            ),
            Node::Neg(inner) => match one(inner)? {
                s if numeric(s) || s == Scalar::Money => Ok(Type::One(s)),
                s => wrong(
                    format!("{}不能取负", scalar_zh(s)),
                    format!("{s:?} cannot be negated"),
                ),
            },
            Node::Binary(op, a, b) => {
                let (x, y) = (one(a)?, one(b)?);
                let mismatch = || {
                    wrong(
                        format!("{}与{}不能这样运算", scalar_zh(x), scalar_zh(y)),
                        format!("{x:?} and {y:?} do not go together here"),
                    )
                };
                match op {
                    Op::Or | Op::And => match (x, y) {
                        (Scalar::Bool, Scalar::Bool) => Ok(Type::One(Scalar::Bool)),
                        _ => mismatch(),
                    },
                    Op::Eq | Op::Ne | Op::Lt | Op::Le | Op::Gt | Op::Ge => {
                        let ordered = !matches!(op, Op::Eq | Op::Ne);
                        let fits = (numeric(x) && numeric(y))
                            || (x == y
                                && (!ordered || !matches!(x, Scalar::Bool | Scalar::Choices)));
                        if fits {
                            Ok(Type::One(Scalar::Bool))
                        } else {
                            mismatch()
                        }
                    }
                    Op::Add | Op::Sub => match (x, y) {
                        _ if numeric(x) && numeric(y) => Ok(Type::One(widen(x, y))),
                        (Scalar::Money, Scalar::Money) => Ok(Type::One(Scalar::Money)),
                        (Scalar::Date, Scalar::Int) => Ok(Type::One(Scalar::Date)),
                        (Scalar::Date, Scalar::Date) if *op == Op::Sub => {
                            Ok(Type::One(Scalar::Int))
                        }
                        _ => mismatch(),
                    },
                    Op::Mul => match (x, y) {
                        _ if numeric(x) && numeric(y) => Ok(Type::One(widen(x, y))),
                        (Scalar::Money, n) | (n, Scalar::Money) if numeric(n) => {
                            Ok(Type::One(Scalar::Money))
                        }
                        _ => mismatch(),
                    },
                    Op::Div => match (x, y) {
                        _ if numeric(x) && numeric(y) => Ok(Type::One(Scalar::Decimal)),
                        (Scalar::Money, n) if numeric(n) => Ok(Type::One(Scalar::Money)),
                        (Scalar::Money, Scalar::Money) => Ok(Type::One(Scalar::Decimal)),
                        _ => mismatch(),
                    },
                    Op::Mod => match (x, y) {
                        (Scalar::Int, Scalar::Int) => Ok(Type::One(Scalar::Int)),
                        _ => mismatch(),
                    },
                }
            }
            Node::Regex(text, _) => match one(text)? {
                Scalar::Text => Ok(Type::One(Scalar::Bool)),
                s => wrong(
                    format!("regex 只用于文本，不能用于{}", scalar_zh(s)),
                    format!("regex applies to text, not {s:?}"),
                ),
            },
            Node::Call(f, args) => self.check_call(*f, args, schema, itself),
        }
    }

    fn check_call(
        &self,
        f: Function,
        args: &[Expr],
        schema: &dyn Schema,
        itself: Option<Type>,
    ) -> Result<Type, ExprError> {
        let types: Vec<Type> = args
            .iter()
            .map(|a| a.check(schema, itself))
            .collect::<Result<_, _>>()?;
        let refuse = |zh: &str, en: &str| -> Result<Type, ExprError> {
            Err(error(self.at, zh.to_string(), en.to_string()))
        };
        let one = |i: usize| match types[i] {
            Type::One(s) => Some(s),
            _ => None,
        };
        match f {
            Function::If => match (one(0), one(1), one(2)) {
                (Some(Scalar::Bool), Some(a), Some(b)) if a == b => Ok(Type::One(a)),
                (Some(Scalar::Bool), Some(a), Some(b)) if numeric(a) && numeric(b) => {
                    Ok(Type::One(widen(a, b)))
                }
                (Some(Scalar::Bool), _, _) => refuse(
                    "if 的两个结果须为同一类型",
                    "if's two results must have one type",
                ),
                _ => refuse("if 的条件须为布尔值", "if's condition must be a boolean"),
            },
            Function::Coalesce | Function::Concat => {
                let all: Option<Vec<Scalar>> = (0..types.len()).map(one).collect();
                let Some(all) = all else {
                    return refuse("参数须为单个值", "the arguments must be single values");
                };
                if f == Function::Concat {
                    return Ok(Type::One(Scalar::Text));
                }
                let first = all[0];
                if all.iter().all(|s| *s == first) {
                    Ok(Type::One(first))
                } else if all.iter().all(|s| numeric(*s)) {
                    Ok(Type::One(Scalar::Decimal))
                } else {
                    refuse(
                        "coalesce 的参数须为同一类型",
                        "coalesce's arguments must have one type",
                    )
                }
            }
            Function::Not => match one(0) {
                Some(Scalar::Bool) => Ok(Type::One(Scalar::Bool)),
                _ => refuse("not 的参数须为布尔值", "not takes a boolean"),
            },
            Function::Today => Ok(Type::One(Scalar::Date)),
            Function::Date => match &args[0].node {
                Node::Literal(Value::Text(t)) if crate::analytics::parse_day(t).is_some() => {
                    Ok(Type::One(Scalar::Date))
                }
                _ => refuse(
                    "date 的参数须为 YYYY-MM-DD 格式的日期常量",
                    "date takes a YYYY-MM-DD literal",
                ),
            },
            Function::Age => match one(0) {
                Some(Scalar::Date) => Ok(Type::One(Scalar::Int)),
                _ => refuse("age 的参数须为日期", "age takes a date"),
            },
            Function::Count => match types[0] {
                Type::Repeat | Type::Many(_) => Ok(Type::One(Scalar::Int)),
                _ => refuse(
                    "count 的参数须为重复组或其中的字段",
                    "count takes a repeat or a field in one",
                ),
            },
            Function::CountSelected => match one(0) {
                Some(Scalar::Choices) => Ok(Type::One(Scalar::Int)),
                _ => refuse(
                    "count-selected 的参数须为多选字段",
                    "count-selected takes a select-many field",
                ),
            },
            Function::Sum => match types[0] {
                Type::Many(s) if numeric(s) || s == Scalar::Money => Ok(Type::One(s)),
                _ => refuse(
                    "sum 的参数须为重复组中的数字或金额字段",
                    "sum takes a number or money field in a repeat",
                ),
            },
            Function::Selected => match (one(0), one(1)) {
                (Some(Scalar::Choices | Scalar::Text), Some(Scalar::Text)) => {
                    Ok(Type::One(Scalar::Bool))
                }
                _ => refuse(
                    "selected 的参数须为选择字段和选项代码",
                    "selected takes a select field and a choice code",
                ),
            },
            Function::StringLength => match one(0) {
                Some(Scalar::Text) => Ok(Type::One(Scalar::Int)),
                _ => refuse("string-length 的参数须为文本", "string-length takes text"),
            },
            Function::Yuan => match one(0) {
                Some(s) if numeric(s) => Ok(Type::One(Scalar::Money)),
                _ => refuse("yuan 的参数须为数字（元）", "yuan takes a number of yuan"),
            },
        }
    }

    /// The expression's value in `env` (checked first: a value of an unexpected type is
    /// `Null`).
    pub fn eval(&self, env: &dyn Env, itself: &Value) -> Value {
        match &self.node {
            Node::Literal(v) => v.clone(),
            Node::Field(name) => env.value(name),
            Node::Column(name) => env.column(name),
            Node::Itself => itself.clone(),
            Node::Neg(inner) => match inner.eval(env, itself) {
                Value::Int(i) => Value::Int(-i),
                Value::Decimal(d) => Value::Decimal(-d),
                Value::Money(m) => Value::Money(-m),
                _ => Value::Null,
            },
            Node::Binary(op, a, b) => binary(*op, a.eval(env, itself), b.eval(env, itself)),
            Node::Regex(text, pattern) => match text.eval(env, itself) {
                Value::Text(t) => Value::Bool(pattern.is_match(&t)),
                _ => Value::Null,
            },
            Node::Call(f, args) => call(*f, args, env, itself),
        }
    }
}

fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::Decimal(d) => Some(*d),
        _ => None,
    }
}

fn binary(op: Op, a: Value, b: Value) -> Value {
    use Value as V;
    match op {
        Op::Or => V::Bool(a.truthy() || b.truthy()),
        Op::And => V::Bool(a.truthy() && b.truthy()),
        Op::Eq | Op::Ne | Op::Lt | Op::Le | Op::Gt | Op::Ge => {
            let ordering = match (&a, &b) {
                (V::Null, _) | (_, V::Null) => return V::Bool(false),
                (V::Text(x), V::Text(y)) => x.partial_cmp(y),
                (V::Date(x), V::Date(y)) | (V::Money(x), V::Money(y)) => x.partial_cmp(y),
                (V::Bool(x), V::Bool(y)) => x.partial_cmp(y),
                (V::Choices(x), V::Choices(y)) => (x == y).then_some(std::cmp::Ordering::Equal),
                _ => match (as_f64(&a), as_f64(&b)) {
                    (Some(x), Some(y)) => x.partial_cmp(&y),
                    _ => None,
                },
            };
            use std::cmp::Ordering as O;
            V::Bool(match (op, ordering) {
                (Op::Eq, Some(O::Equal)) => true,
                (Op::Ne, Some(o)) => o != O::Equal,
                (Op::Ne, None) => true,
                (Op::Lt, Some(O::Less)) | (Op::Gt, Some(O::Greater)) => true,
                (Op::Le, Some(O::Less | O::Equal)) | (Op::Ge, Some(O::Greater | O::Equal)) => true,
                _ => false,
            })
        }
        Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Mod => arithmetic(op, a, b),
    }
}

fn arithmetic(op: Op, a: Value, b: Value) -> Value {
    use Value as V;
    match (op, &a, &b) {
        (_, V::Null, _) | (_, _, V::Null) => V::Null,
        (Op::Add, V::Int(x), V::Int(y)) => x.checked_add(*y).map_or(V::Null, V::Int),
        (Op::Sub, V::Int(x), V::Int(y)) => x.checked_sub(*y).map_or(V::Null, V::Int),
        (Op::Mul, V::Int(x), V::Int(y)) => x.checked_mul(*y).map_or(V::Null, V::Int),
        (Op::Mod, V::Int(x), V::Int(y)) => x.checked_rem(*y).map_or(V::Null, V::Int),
        (Op::Add, V::Money(x), V::Money(y)) => x.checked_add(*y).map_or(V::Null, V::Money),
        (Op::Sub, V::Money(x), V::Money(y)) => x.checked_sub(*y).map_or(V::Null, V::Money),
        (Op::Div, V::Money(x), V::Money(y)) if *y != 0 => V::Decimal(*x as f64 / *y as f64),
        (Op::Mul, V::Money(m), n) | (Op::Mul, n, V::Money(m)) => {
            as_f64(n).map_or(V::Null, |n| V::Money((*m as f64 * n).round() as i64))
        }
        (Op::Div, V::Money(m), n) => match as_f64(n) {
            Some(n) if n != 0.0 => V::Money((*m as f64 / n).round() as i64),
            _ => V::Null,
        },
        (Op::Add, V::Date(d), V::Int(n)) => V::Date(d + n),
        (Op::Sub, V::Date(d), V::Int(n)) => V::Date(d - n),
        (Op::Sub, V::Date(x), V::Date(y)) => V::Int(x - y),
        _ => match (as_f64(&a), as_f64(&b)) {
            (Some(x), Some(y)) => match op {
                Op::Add => V::Decimal(x + y),
                Op::Sub => V::Decimal(x - y),
                Op::Mul => V::Decimal(x * y),
                Op::Div if y != 0.0 => V::Decimal(x / y),
                _ => V::Null,
            },
            _ => V::Null,
        },
    }
}

/// Whole years from day `born` to day `today` (both days since 1970-01-01).
fn age(born: i64, today: i64) -> Option<i64> {
    let (by, bm, bd) = crate::analytics::civil_from_days(born);
    let (ty, tm, td) = crate::analytics::civil_from_days(today);
    let years = ty - by - i64::from((tm, td) < (bm, bd));
    (years >= 0).then_some(years)
}

fn call(f: Function, args: &[Expr], env: &dyn Env, itself: &Value) -> Value {
    use Value as V;
    let arg = |i: usize| args[i].eval(env, itself);
    match f {
        Function::If => {
            if arg(0).truthy() {
                arg(1)
            } else {
                arg(2)
            }
        }
        Function::Coalesce => (0..args.len())
            .map(arg)
            .find(|v| !matches!(v, V::Null) && *v != V::Text(String::new()))
            .unwrap_or(V::Null),
        Function::Concat => V::Text(
            (0..args.len())
                .map(|i| match arg(i) {
                    V::Text(t) => t,
                    V::Int(n) => n.to_string(),
                    V::Decimal(d) => d.to_string(),
                    V::Null => String::new(),
                    other => format!("{other:?}"),
                })
                .collect(),
        ),
        Function::Not => V::Bool(!arg(0).truthy()),
        Function::Today => V::Date(env.today()),
        Function::Date => match arg(0) {
            V::Text(t) => crate::analytics::parse_day(&t).map_or(V::Null, V::Date),
            _ => V::Null,
        },
        Function::Age => match arg(0) {
            V::Date(born) => age(born, env.today()).map_or(V::Null, V::Int),
            _ => V::Null,
        },
        Function::Count => match arg(0) {
            V::Repeat(n) => V::Int(n as i64),
            V::Many(values) => {
                V::Int(values.iter().filter(|v| !matches!(v, V::Null)).count() as i64)
            }
            _ => V::Null,
        },
        Function::CountSelected => match arg(0) {
            V::Choices(c) => V::Int(c.len() as i64),
            _ => V::Int(0),
        },
        Function::Sum => match arg(0) {
            V::Many(values) => values
                .into_iter()
                .filter(|v| !matches!(v, V::Null))
                .fold(None::<V>, |acc, v| match acc {
                    None => Some(v),
                    Some(a) => Some(arithmetic(Op::Add, a, v)),
                })
                .unwrap_or(V::Int(0)),
            _ => V::Null,
        },
        Function::Selected => match (arg(0), arg(1)) {
            (V::Choices(c), V::Text(code)) => V::Bool(c.contains(&code)),
            (V::Text(one), V::Text(code)) => V::Bool(one == code),
            _ => V::Bool(false),
        },
        Function::StringLength => match arg(0) {
            V::Text(t) => V::Int(t.chars().count() as i64),
            _ => V::Int(0),
        },
        Function::Yuan => as_f64(&arg(0)).map_or(V::Null, |y| V::Money((y * 100.0).round() as i64)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// A household-subsidy form: the applicant's birth date, income, a repeat of members.
    struct Form {
        types: HashMap<&'static str, Type>,
        values: HashMap<&'static str, Value>,
    }

    impl Schema for Form {
        fn type_of(&self, name: &str) -> Option<Type> {
            self.types.get(name).copied()
        }
    }

    impl Env for Form {
        fn value(&self, name: &str) -> Value {
            self.values.get(name).cloned().unwrap_or(Value::Null)
        }
        fn today(&self) -> i64 {
            crate::analytics::parse_day("2026-12-04").expect("day")
        }
    }

    fn form() -> Form {
        let day = |t: &str| Value::Date(crate::analytics::parse_day(t).expect("day"));
        Form {
            types: HashMap::from([
                ("birth", Type::One(Scalar::Date)),
                ("income", Type::One(Scalar::Money)),
                ("name", Type::One(Scalar::Text)),
                ("phone", Type::One(Scalar::Text)),
                ("children", Type::One(Scalar::Int)),
                ("needs", Type::One(Scalar::Choices)),
                ("members", Type::Repeat),
                ("member_income", Type::Many(Scalar::Money)),
                ("member_age", Type::Many(Scalar::Int)),
            ]),
            values: HashMap::from([
                ("birth", day("1990-12-05")),
                ("income", Value::Money(1_250_050)),
                ("name", Value::Text("张三".into())),
                ("phone", Value::Text("13812345678".into())),
                ("children", Value::Int(2)),
                (
                    "needs",
                    Value::Choices(vec!["housing".into(), "medical".into()]),
                ),
                ("members", Value::Repeat(3)),
                (
                    "member_income",
                    Value::Many(vec![
                        Value::Money(100_000),
                        Value::Null,
                        Value::Money(50_000),
                    ]),
                ),
                (
                    "member_age",
                    Value::Many(vec![Value::Int(40), Value::Int(12), Value::Int(9)]),
                ),
            ]),
        }
    }

    /// Parsed, checked (with `.` a number) and evaluated (with `.` = 7).
    fn run(src: &str) -> (Type, Value) {
        let f = form();
        let e = parse(src).unwrap_or_else(|e| panic!("{src}: {e:?}"));
        let t = e
            .check(&f, Some(Type::One(Scalar::Int)))
            .unwrap_or_else(|e| panic!("{src}: {e:?}"));
        (t, e.eval(&f, &Value::Int(7)))
    }

    fn refused(src: &str) -> ExprError {
        let f = form();
        match parse(src) {
            Err(e) => e,
            Ok(e) => e
                .check(&f, None)
                .expect_err(&format!("{src} should be refused")),
        }
    }

    #[test]
    fn relevance_constraints_and_calculations_evaluate_as_a_form_reads_them() {
        let b = |v: bool| (Type::One(Scalar::Bool), Value::Bool(v));
        assert_eq!(run("age(${birth}) >= 35"), b(true));
        assert_eq!(
            run("age(${birth})"),
            (Type::One(Scalar::Int), Value::Int(35))
        );
        assert_eq!(
            run("${children} > 1 and selected(${needs}, 'housing')"),
            b(true)
        );
        assert_eq!(
            run("not(selected(${needs}, 'education')) or false"),
            b(true)
        );
        assert_eq!(run("regex(${phone}, '^1[3-9]\\d{9}$')"), b(true));
        assert_eq!(run("string-length(${name}) = 2"), b(true));
        assert_eq!(run(". * 2 + 1"), (Type::One(Scalar::Int), Value::Int(15)));
        assert_eq!(
            run(". div 2"),
            (Type::One(Scalar::Decimal), Value::Decimal(3.5))
        );
        assert_eq!(run("7 mod 3"), (Type::One(Scalar::Int), Value::Int(1)));
        assert_eq!(
            run("count(${members})"),
            (Type::One(Scalar::Int), Value::Int(3))
        );
        assert_eq!(
            run("count(${member_income})"),
            (Type::One(Scalar::Int), Value::Int(2))
        );
        assert_eq!(
            run("sum(${member_age}) div count(${members})").1,
            Value::Decimal(61.0 / 3.0)
        );
        // Money stays in fen: added to money, multiplied by a number, rounded.
        assert_eq!(
            run("sum(${member_income}) + ${income}"),
            (Type::One(Scalar::Money), Value::Money(1_400_050))
        );
        assert_eq!(run("${income} * 0.1").1, Value::Money(125_005));
        assert_eq!(
            run("if(${income} > sum(${member_income}), 'a', 'b')").1,
            Value::Text("a".into())
        );
        assert_eq!(run("count-selected(${needs})").1, Value::Int(2));
        assert_eq!(run("${income} > yuan(12500.49)").1, Value::Bool(true));
    }

    #[test]
    fn an_empty_field_is_null_and_coalesce_gives_the_fallback() {
        let mut f = form();
        f.values.remove("children");
        f.types.insert("spouse", Type::One(Scalar::Text));
        let eval = |src: &str| {
            let e = parse(src).expect("parse");
            e.check(&f, None).expect("check");
            e.eval(&f, &Value::Null)
        };
        assert_eq!(eval("${children} + 1"), Value::Null);
        assert_eq!(eval("${children} > 1"), Value::Bool(false));
        assert_eq!(eval("coalesce(${children}, 0) + 1"), Value::Int(1));
        assert_eq!(eval("coalesce(${spouse}, '无')"), Value::Text("无".into()));
        assert_eq!(
            eval("date('2026-01-01') + 30 > today()"),
            Value::Bool(false)
        );
        assert_eq!(eval("today() - date('2026-12-01')"), Value::Int(3));
        assert_eq!(
            eval("concat(${name}, '（', ${children}, '）')"),
            Value::Text("张三（）".into())
        );
    }

    #[test]
    fn type_errors_are_found_when_the_form_loads_with_where_and_what() {
        let e = refused("${children} + 'x'");
        assert_eq!(e.at, 12);
        assert!(e.message.zh.contains("整数与文本"), "{:?}", e.message);
        assert!(refused("${income} + 1").message.zh.contains("金额与整数"));
        assert!(refused("${income} > 100").message.zh.contains("金额与整数"));
        assert!(refused("${nobody} = 1")
            .message
            .zh
            .contains("没有字段 nobody"));
        assert!(refused("sum(${income})").message.zh.contains("sum"));
        assert!(refused("${member_age} > 3").message.zh.contains("单个值"));
        assert!(refused("if(1, 2, 3)").message.zh.contains("条件"));
        assert!(refused("if(true, 2, 'x')").message.zh.contains("同一类型"));
        assert!(refused(". > 3").message.zh.contains("不能用 ."));
        assert!(refused("date('2026-02-30')")
            .message
            .zh
            .contains("YYYY-MM-DD"));
        assert!(refused("${birth} < ${name}")
            .message
            .zh
            .contains("日期与文本"));
        assert!(refused("1 < 2 < 3").message.zh.contains("布尔值与整数"));
    }

    #[test]
    fn an_expression_too_deep_or_too_long_is_refused_not_overflowed() {
        let deep = format!("{}1{}", "(".repeat(100), ")".repeat(100));
        assert!(refused(&deep).message.zh.contains("嵌套过深"));
        assert!(refused(&format!("{}1", "-".repeat(100)))
            .message
            .zh
            .contains("嵌套过深"));
        // Far deeper is refused as too long before it is parsed at all.
        let deeper = format!("{}1{}", "(".repeat(100_000), ")".repeat(100_000));
        assert!(refused(&deeper).message.zh.contains("过长"));
        let long = vec!["1"; 5_000].join(" + ");
        let e = refused(&long);
        assert!(e.message.zh.contains("过长"), "{:?}", e.message);
        // What a form needs fits well inside.
        let fine = format!("{}1{}", "(".repeat(40), ")".repeat(40));
        assert!(parse(&fine).is_ok());
        assert!(parse(&vec!["1"; 200].join(" + ")).is_ok());
    }

    #[test]
    fn syntax_errors_name_the_place() {
        let e = refused("regex(${phone}, '[')");
        assert!(e.message.zh.contains("正则表达式不合法"), "{:?}", e.message);
        assert_eq!(e.at, 16);
        assert!(refused("regex(${phone}, ${name})")
            .message
            .zh
            .contains("字符串常量"));
        assert_eq!(refused("${children} +").message.zh, "表达式不完整");
        assert!(refused("(1 + 2").message.zh.contains(")"));
        assert!(refused("1 2").message.zh.contains("多余"));
        assert!(refused("${bad name} = 1").message.zh.contains("不合法"));
        assert!(refused("${unclosed = 1").message.zh.contains("}"));
        assert!(refused("'open").message.zh.contains("引号"));
        assert!(refused("shout(1)").message.zh.contains("没有函数 shout"));
        assert!(refused("today(1)").message.zh.contains("参数个数"));
        assert!(refused("1 # 2").message.zh.contains("无法识别"));
    }
}
