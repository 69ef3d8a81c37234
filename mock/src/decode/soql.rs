//! The SOQL subset the mock understands:
//!
//! ```text
//! SELECT field[, field…] FROM Object
//!   [WHERE cond]            cond: field op literal | field [NOT] IN (literal, …) | field [NOT] LIKE 'p%'
//!                           joined by AND / OR / NOT and parentheses
//!   [ORDER BY field [ASC|DESC] [NULLS FIRST|LAST][, …]]
//!   [LIMIT n]
//! ```
//!
//! `op` is `=`, `!=`, `<>`, `<`, `>`, `<=`, `>=`; literals are 'strings', numbers, `true`,
//! `false`, `null` and date/dateTime literals (`2024-01-31`, `2024-01-31T00:00:00Z`).
//! Keywords are case-insensitive. Errors are plain descriptions (the caller adds
//! `MALFORMED_QUERY`).

use crate::dates::parse_datetime_millis;

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Soql {
    pub fields: Vec<String>,
    pub object: String,
    pub filter: Option<Expr>,
    pub order: Vec<OrderKey>,
    pub limit: Option<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Compare {
        field: String,
        op: CmpOp,
        value: Literal,
    },
    In {
        field: String,
        values: Vec<Literal>,
        negated: bool,
    },
    Like {
        field: String,
        pattern: String,
        negated: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Literal {
    Text(String),
    Number(f64),
    Bool(bool),
    Null,
    /// A date or dateTime literal, kept as written.
    Date(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OrderKey {
    pub field: String,
    pub descending: bool,
    pub nulls_last: bool,
}

impl Expr {
    /// Every field the expression reads.
    pub(crate) fn fields(&self) -> Vec<&str> {
        match self {
            Expr::And(a, b) | Expr::Or(a, b) => {
                let mut fields = a.fields();
                fields.extend(b.fields());
                fields
            }
            Expr::Not(inner) => inner.fields(),
            Expr::Compare { field, .. } | Expr::In { field, .. } | Expr::Like { field, .. } => {
                vec![field.as_str()]
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Str(String),
    /// A number or date literal as written.
    Num(String),
    Op(&'static str),
    LParen,
    RParen,
    Comma,
}

impl Token {
    fn describe(&self) -> String {
        match self {
            Token::Word(w) | Token::Num(w) => w.clone(),
            Token::Str(s) => format!("'{s}'"),
            Token::Op(op) => (*op).to_owned(),
            Token::LParen => "(".into(),
            Token::RParen => ")".into(),
            Token::Comma => ",".into(),
        }
    }
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                tokens.push(Token::LParen);
                i += 1;
            }
            ')' => {
                tokens.push(Token::RParen);
                i += 1;
            }
            ',' => {
                tokens.push(Token::Comma);
                i += 1;
            }
            '\'' => {
                let mut value = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err("unterminated string literal".into()),
                        Some('\'') => break,
                        Some('\\') => {
                            let escaped = chars.get(i + 1).ok_or("unterminated string literal")?;
                            value.push(match escaped {
                                'n' => '\n',
                                'r' => '\r',
                                't' => '\t',
                                'b' => '\u{8}',
                                'f' => '\u{c}',
                                other => *other,
                            });
                            i += 2;
                        }
                        Some(other) => {
                            value.push(*other);
                            i += 1;
                        }
                    }
                }
                i += 1;
                tokens.push(Token::Str(value));
            }
            '!' | '<' | '>' | '=' => {
                let op = match (c, next) {
                    ('!', Some('=')) => "!=",
                    ('<', Some('>')) => "<>",
                    ('<', Some('=')) => "<=",
                    ('>', Some('=')) => ">=",
                    ('<', _) => "<",
                    ('>', _) => ">",
                    ('=', _) => "=",
                    _ => return Err(format!("unexpected character '{c}'")),
                };
                i += op.len();
                tokens.push(Token::Op(op));
            }
            c if c.is_ascii_digit()
                || (c == '-' || c == '+') && next.is_some_and(|n| n.is_ascii_digit()) =>
            {
                let start = i;
                i += 1;
                while chars.get(i).is_some_and(|c| {
                    c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '+' | '-')
                }) {
                    i += 1;
                }
                tokens.push(Token::Num(chars[start..i].iter().collect()));
            }
            c if c.is_alphabetic() || c == '_' => {
                let start = i;
                while chars
                    .get(i)
                    .is_some_and(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | ':'))
                {
                    i += 1;
                }
                tokens.push(Token::Word(chars[start..i].iter().collect()));
            }
            other => return Err(format!("unexpected character '{other}'")),
        }
    }
    Ok(tokens)
}

/// Longest SOQL statement Salesforce accepts, in characters.
const MAX_QUERY_CHARS: usize = 100_000;
/// Limits that keep the recursive evaluation of WHERE clauses shallow.
const MAX_NESTING: usize = 64;
const MAX_CONDITIONS: usize = 1_000;

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
    conditions: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        token
    }

    fn peek_keyword(&self, keyword: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(keyword))
    }

    fn eat_keyword(&mut self, keyword: &str) -> bool {
        let found = self.peek_keyword(keyword);
        if found {
            self.pos += 1;
        }
        found
    }

    fn expect_keyword(&mut self, keyword: &str) -> Result<(), String> {
        if self.eat_keyword(keyword) {
            return Ok(());
        }
        Err(match self.peek() {
            Some(token) => format!("expecting {keyword}, found '{}'", token.describe()),
            None => format!("expecting {keyword}, found end of query"),
        })
    }

    fn unexpected(&self) -> String {
        match self.peek() {
            Some(token) => format!("unexpected token: '{}'", token.describe()),
            None => "unexpected end of query".into(),
        }
    }

    fn identifier(&mut self, what: &str) -> Result<String, String> {
        match self.peek() {
            Some(Token::Word(w)) if !is_reserved(w) => {
                let w = w.clone();
                self.pos += 1;
                Ok(w)
            }
            _ => Err(format!("expecting {what}, {}", self.unexpected())),
        }
    }

    fn field(&mut self) -> Result<String, String> {
        let field = self.identifier("a field name")?;
        if self.peek() == Some(&Token::LParen) {
            return Err(format!(
                "function or aggregate {field}() is not supported in a bulk query"
            ));
        }
        Ok(field)
    }

    fn query(&mut self) -> Result<Soql, String> {
        self.expect_keyword("SELECT")?;
        if self.peek() == Some(&Token::LParen) {
            return Err("subqueries are not supported in a bulk query".into());
        }
        let mut fields = vec![self.field()?];
        while self.peek() == Some(&Token::Comma) {
            self.pos += 1;
            fields.push(self.field()?);
        }
        self.expect_keyword("FROM")?;
        let object = self.identifier("an object name")?;
        let filter = if self.eat_keyword("WHERE") {
            Some(self.or_expr()?)
        } else {
            None
        };
        let mut order = Vec::new();
        if self.eat_keyword("ORDER") {
            self.expect_keyword("BY")?;
            loop {
                order.push(self.order_key()?);
                if self.peek() != Some(&Token::Comma) {
                    break;
                }
                self.pos += 1;
            }
        }
        let limit = if self.eat_keyword("LIMIT") {
            match self.next() {
                Some(Token::Num(n)) => Some(
                    n.parse::<usize>()
                        .map_err(|_| format!("invalid LIMIT value: {n}"))?,
                ),
                _ => return Err("expecting a number after LIMIT".into()),
            }
        } else {
            None
        };
        if self.peek().is_some() {
            return Err(self.unexpected());
        }
        Ok(Soql {
            fields,
            object,
            filter,
            order,
            limit,
        })
    }

    fn order_key(&mut self) -> Result<OrderKey, String> {
        let field = self.field()?;
        let descending = if self.eat_keyword("DESC") {
            true
        } else {
            self.eat_keyword("ASC");
            false
        };
        let nulls_last = if self.eat_keyword("NULLS") {
            if self.eat_keyword("LAST") {
                true
            } else {
                self.expect_keyword("FIRST")?;
                false
            }
        } else {
            descending
        };
        Ok(OrderKey {
            field,
            descending,
            nulls_last,
        })
    }

    fn or_expr(&mut self) -> Result<Expr, String> {
        let mut expr = self.and_expr()?;
        while self.eat_keyword("OR") {
            expr = Expr::Or(Box::new(expr), Box::new(self.and_expr()?));
        }
        Ok(expr)
    }

    fn and_expr(&mut self) -> Result<Expr, String> {
        let mut expr = self.unary()?;
        while self.eat_keyword("AND") {
            expr = Expr::And(Box::new(expr), Box::new(self.unary()?));
        }
        Ok(expr)
    }

    fn unary(&mut self) -> Result<Expr, String> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(format!(
                "conditions nested deeper than {MAX_NESTING} levels"
            ));
        }
        let expr = if self.eat_keyword("NOT") {
            Expr::Not(Box::new(self.unary()?))
        } else if self.peek() == Some(&Token::LParen) {
            self.pos += 1;
            let expr = self.or_expr()?;
            if self.next() != Some(Token::RParen) {
                return Err("expecting ')'".into());
            }
            expr
        } else {
            self.condition()?
        };
        self.depth -= 1;
        Ok(expr)
    }

    fn condition(&mut self) -> Result<Expr, String> {
        self.conditions += 1;
        if self.conditions > MAX_CONDITIONS {
            return Err(format!("more than {MAX_CONDITIONS} conditions"));
        }
        let field = self.field()?;
        let negated = self.eat_keyword("NOT");
        if self.eat_keyword("IN") {
            if self.next() != Some(Token::LParen) {
                return Err("expecting '(' after IN".into());
            }
            let mut values = vec![self.literal()?];
            loop {
                match self.next() {
                    Some(Token::Comma) => values.push(self.literal()?),
                    Some(Token::RParen) => break,
                    _ => return Err("expecting ',' or ')' in IN list".into()),
                }
            }
            return Ok(Expr::In {
                field,
                values,
                negated,
            });
        }
        if self.eat_keyword("LIKE") {
            return match self.next() {
                Some(Token::Str(pattern)) => Ok(Expr::Like {
                    field,
                    pattern,
                    negated,
                }),
                _ => Err("expecting a string after LIKE".into()),
            };
        }
        if negated {
            return Err("expecting IN or LIKE after NOT".into());
        }
        let op = match self.next() {
            Some(Token::Op("=")) => CmpOp::Eq,
            Some(Token::Op("!=" | "<>")) => CmpOp::Ne,
            Some(Token::Op("<")) => CmpOp::Lt,
            Some(Token::Op(">")) => CmpOp::Gt,
            Some(Token::Op("<=")) => CmpOp::Le,
            Some(Token::Op(">=")) => CmpOp::Ge,
            _ => {
                self.pos -= 1;
                return Err(format!("expecting an operator, {}", self.unexpected()));
            }
        };
        let value = self.literal()?;
        Ok(Expr::Compare { field, op, value })
    }

    fn literal(&mut self) -> Result<Literal, String> {
        match self.next() {
            Some(Token::Str(s)) => Ok(Literal::Text(s)),
            Some(Token::Num(n)) => match n.parse::<f64>() {
                Ok(number) if n.chars().all(|c| c.is_ascii_digit() || "+-.".contains(c)) => {
                    Ok(Literal::Number(number))
                }
                _ if parse_datetime_millis(&n).is_some() => Ok(Literal::Date(n)),
                _ => Err(format!("invalid literal: {n}")),
            },
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("true") => Ok(Literal::Bool(true)),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("false") => Ok(Literal::Bool(false)),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("null") => Ok(Literal::Null),
            Some(token) => Err(format!(
                "unsupported or invalid literal: '{}'",
                token.describe()
            )),
            None => Err("expecting a value, found end of query".into()),
        }
    }
}

fn is_reserved(word: &str) -> bool {
    const RESERVED: &[&str] = &[
        "select", "from", "where", "order", "by", "limit", "and", "or", "not", "in", "like", "asc",
        "desc", "nulls", "group", "having", "offset", "with", "for", "using", "typeof",
    ];
    RESERVED.contains(&word.to_ascii_lowercase().as_str())
}

/// Parses one SOQL statement.
pub(crate) fn parse(text: &str) -> Result<Soql, String> {
    if text.chars().count() > MAX_QUERY_CHARS {
        return Err(format!("query longer than {MAX_QUERY_CHARS} characters"));
    }
    let tokens = tokenize(text)?;
    if tokens.is_empty() {
        return Err("empty query".into());
    }
    Parser {
        tokens,
        pos: 0,
        depth: 0,
        conditions: 0,
    }
    .query()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_full_subset() {
        let q = parse(
            "select Id, Name, Account.Name from Contact where (LastName = 'O\\'Hara' or Age >= 3) \
             and Email != null and CreatedDate > 2024-01-01T00:00:00Z and Name not in ('a','b') \
             order by Name desc nulls first, Id limit 10",
        )
        .unwrap();
        assert_eq!(q.fields, ["Id", "Name", "Account.Name"]);
        assert_eq!(q.object, "Contact");
        assert_eq!(q.limit, Some(10));
        assert_eq!(q.order.len(), 2);
        assert!(q.order[0].descending && !q.order[0].nulls_last);
        let fields = q.filter.as_ref().unwrap().fields();
        assert_eq!(fields, ["LastName", "Age", "Email", "CreatedDate", "Name"]);
    }

    #[test]
    fn rejects_unsupported() {
        assert!(parse("SELECT COUNT() FROM Account").is_err());
        assert!(parse("SELECT Id FROM Account GROUP BY Name").is_err());
        assert!(parse("SELECT Id Account").is_err());
        assert!(parse("SELECT Id FROM Account WHERE Name = 'x").is_err());
        assert!(parse("SELECT Id FROM Account LIMIT x").is_err());
        assert!(parse("").is_err());
        let deep = format!(
            "SELECT Id FROM Account WHERE {}Id = '1'{}",
            "(".repeat(100),
            ")".repeat(100)
        );
        assert!(parse(&deep).unwrap_err().contains("nested"));
        let many = vec!["Id = '1'"; 1001].join(" AND ");
        assert!(
            parse(&format!("SELECT Id FROM Account WHERE {many}"))
                .unwrap_err()
                .contains("conditions")
        );
    }
}
