//! SCIM 2.0 (RFC 7643/7644) on plain JSON: the User attributes we serve, their canonical
//! names (SCIM attribute names are case-insensitive), filters (`userName eq "x"`), PATCH
//! operations in the styles Okta and Microsoft Entra send, and `attributes` projection.
//! No HTTP and no database here.

use serde_json::{Map, Value};

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// A SCIM refusal: `scimType` and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimFault {
    pub scim_type: &'static str,
    pub detail: String,
}

pub fn fault(scim_type: &'static str, detail: impl Into<String>) -> ScimFault {
    ScimFault {
        scim_type,
        detail: detail.into(),
    }
}

/// Core attributes of a User we keep, with their sub-attributes (canonical spelling).
const CORE: &[(&str, &[&str])] = &[
    ("userName", &[]),
    ("name", &["formatted", "familyName", "givenName"]),
    ("displayName", &[]),
    ("active", &[]),
    ("emails", &["value", "type", "primary"]),
    ("externalId", &[]),
    ("timezone", &[]),
];
/// The enterprise extension's attributes we keep.
const EXTENSION: &[(&str, &[&str])] = &[("department", &[]), ("manager", &["value", "$ref", "displayName"])];

fn canonical_in(
    table: &[(&'static str, &'static [&'static str])],
    name: &str,
) -> Option<(&'static str, &'static [&'static str])> {
    table.iter().copied().find(|(n, _)| n.eq_ignore_ascii_case(name))
}

fn canonical_sub(subs: &[&'static str], name: &str) -> Option<&'static str> {
    subs.iter().copied().find(|s| s.eq_ignore_ascii_case(name))
}

/// Where an attribute lives: the core schema or the enterprise extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Home {
    Core,
    Enterprise,
}

/// A parsed attribute path: `emails[type eq "work"].value`, `name.givenName`,
/// `urn:...:enterprise:2.0:User:manager`.
#[derive(Debug, Clone, PartialEq)]
pub struct AttrPath {
    pub home: Home,
    pub attr: &'static str,
    pub filter: Option<Filter>,
    pub sub: Option<&'static str>,
}

/// Splits a schema URN prefix off a path or key (`urn:...:User:department` -> Enterprise, `department`).
fn split_urn(path: &str) -> (Option<Home>, &str) {
    for (urn, home) in [(ENTERPRISE, Home::Enterprise), (USER_SCHEMA, Home::Core)] {
        // `get`, not indexing: the path may hold any text, and a byte offset inside a
        // character is no prefix.
        let prefixed = path.get(..urn.len()).is_some_and(|p| p.eq_ignore_ascii_case(urn));
        if prefixed && path.as_bytes().get(urn.len()) == Some(&b':') {
            return (Some(home), &path[urn.len() + 1..]);
        }
        if path.eq_ignore_ascii_case(urn) {
            return (Some(home), "");
        }
    }
    (None, path)
}

/// Resolves an attribute name (and where it lives); None for attributes we do not keep.
fn resolve(home: Option<Home>, name: &str) -> Option<(Home, &'static str, &'static [&'static str])> {
    match home {
        Some(Home::Enterprise) => canonical_in(EXTENSION, name).map(|(n, s)| (Home::Enterprise, n, s)),
        Some(Home::Core) => canonical_in(CORE, name).map(|(n, s)| (Home::Core, n, s)),
        None => canonical_in(CORE, name)
            .map(|(n, s)| (Home::Core, n, s))
            .or_else(|| canonical_in(EXTENSION, name).map(|(n, s)| (Home::Enterprise, n, s))),
    }
}

impl AttrPath {
    /// Parses a path; Ok(None) for a well-formed path to an attribute we do not keep.
    pub fn parse(raw: &str) -> Result<Option<AttrPath>, ScimFault> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(fault("invalidPath", "the path is empty"));
        }
        let (home, rest) = split_urn(raw);
        if rest.is_empty() {
            return Err(fault(
                "invalidPath",
                format!("{raw:?} names a schema, not an attribute"),
            ));
        }
        let (head, filter, tail) = match rest.find('[') {
            Some(open) => {
                let close = rest
                    .rfind(']')
                    .ok_or_else(|| fault("invalidPath", format!("{raw:?} has an unclosed '['")))?;
                if close < open {
                    return Err(fault("invalidPath", format!("{raw:?} is not a path")));
                }
                let filter = Filter::parse(&rest[open + 1..close])?;
                let tail = rest[close + 1..].strip_prefix('.').unwrap_or(&rest[close + 1..]);
                (&rest[..open], Some(filter), tail)
            }
            None => match rest.split_once('.') {
                Some((h, t)) => (h, None, t),
                None => (rest, None, ""),
            },
        };
        if !head
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$' || c == '-')
        {
            return Err(fault("invalidPath", format!("{raw:?} is not a path")));
        }
        let Some((home, attr, subs)) = resolve(home, head) else {
            return Ok(None);
        };
        let sub = if tail.is_empty() {
            None
        } else {
            match canonical_sub(subs, tail) {
                Some(s) => Some(s),
                None if subs.is_empty() => {
                    return Err(fault("invalidPath", format!("{attr} has no sub-attribute {tail:?}")))
                }
                None => return Ok(None),
            }
        };
        if filter.is_some() && attr != "emails" {
            return Err(fault(
                "invalidPath",
                format!("{attr} is not multi-valued: no filter applies"),
            ));
        }
        Ok(Some(AttrPath {
            home,
            attr,
            filter,
            sub,
        }))
    }
}

/// The object an attribute lives in (the resource itself or its extension object).
fn container_mut(resource: &mut Map<String, Value>, home: Home) -> &mut Map<String, Value> {
    match home {
        Home::Core => resource,
        Home::Enterprise => {
            let ext = resource
                .entry(ENTERPRISE.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if !ext.is_object() {
                *ext = Value::Object(Map::new());
            }
            ext.as_object_mut()
                .unwrap_or_else(|| unreachable!("made an object above"))
        }
    }
}

fn container(resource: &Map<String, Value>, home: Home) -> Option<&Map<String, Value>> {
    match home {
        Home::Core => Some(resource),
        Home::Enterprise => resource.get(ENTERPRISE).and_then(Value::as_object),
    }
}

/// Booleans as Entra sends them ("True", "False") become JSON booleans.
fn coerce(attr: &str, sub: Option<&str>, v: Value) -> Value {
    let is_bool = attr == "active" || sub == Some("primary");
    match (&v, is_bool) {
        (Value::String(s), true) if s.eq_ignore_ascii_case("true") => Value::Bool(true),
        (Value::String(s), true) if s.eq_ignore_ascii_case("false") => Value::Bool(false),
        _ => v,
    }
}

/// A value for an attribute, with sub-attribute names made canonical and unknown ones dropped.
fn normalize_value(attr: &str, subs: &[&'static str], v: Value) -> Value {
    let object = |m: Map<String, Value>| {
        let mut out = Map::new();
        for (k, v) in m {
            if let Some(s) = canonical_sub(subs, &k) {
                out.insert(s.to_string(), coerce(attr, Some(s), v));
            }
        }
        Value::Object(out)
    };
    match v {
        Value::Object(m) if !subs.is_empty() => object(m),
        Value::Array(items) if attr == "emails" => Value::Array(
            items
                .into_iter()
                .map(|i| match i {
                    Value::Object(m) => object(m),
                    other => other,
                })
                .collect(),
        ),
        // Entra sends the manager as its id alone.
        Value::String(id) if attr == "manager" => {
            let mut m = Map::new();
            m.insert("value".into(), Value::String(id));
            Value::Object(m)
        }
        other => coerce(attr, None, other),
    }
}

/// A resource as a client sent it, reduced to the attributes we keep, in canonical names.
pub fn normalize(input: &Value) -> Result<Map<String, Value>, ScimFault> {
    let Some(map) = input.as_object() else {
        return Err(fault("invalidSyntax", "the body must be a JSON object"));
    };
    let mut out = Map::new();
    for (key, value) in map {
        merge_key(&mut out, None, key, value.clone())?;
    }
    Ok(out)
}

/// Sets one key of an object a client sent (a core attribute, an extension object, or an
/// extension attribute named with its URN).
fn merge_key(out: &mut Map<String, Value>, home: Option<Home>, key: &str, value: Value) -> Result<(), ScimFault> {
    let (urn_home, rest) = split_urn(key);
    if rest.is_empty() {
        // An extension object: its keys are the extension's attributes.
        if urn_home == Some(Home::Enterprise) {
            if let Value::Object(ext) = value {
                for (k, v) in ext {
                    merge_key(out, Some(Home::Enterprise), &k, v)?;
                }
            }
        }
        return Ok(());
    }
    let Some((home, attr, subs)) = resolve(urn_home.or(home), rest) else {
        return Ok(()); // attributes we do not keep are ignored (schemas, meta, id among them)
    };
    let v = normalize_value(attr, subs, value);
    container_mut(out, home).insert(attr.to_string(), v);
    Ok(())
}

/// One PATCH operation.
pub struct PatchOp {
    pub op: String,
    pub path: Option<String>,
    pub value: Option<Value>,
}

/// Reads a PatchOp request's `Operations`.
pub fn patch_ops(body: &Value) -> Result<Vec<PatchOp>, ScimFault> {
    let ops = body
        .get("Operations")
        .or_else(|| body.get("operations"))
        .and_then(Value::as_array)
        .ok_or_else(|| fault("invalidSyntax", "a PatchOp needs an `Operations` list"))?;
    ops.iter()
        .map(|o| {
            let op = o
                .get("op")
                .and_then(Value::as_str)
                .ok_or_else(|| fault("invalidSyntax", "each operation needs an `op`"))?
                .to_ascii_lowercase();
            if !matches!(op.as_str(), "add" | "remove" | "replace") {
                return Err(fault("invalidSyntax", format!("{op:?} is not add, remove or replace")));
            }
            Ok(PatchOp {
                op,
                path: o.get("path").and_then(Value::as_str).map(str::to_string),
                value: o.get("value").cloned(),
            })
        })
        .collect()
}

/// Applies operations to a stored resource (canonical JSON), in order.
pub fn apply_patch(resource: &mut Map<String, Value>, ops: &[PatchOp]) -> Result<(), ScimFault> {
    for op in ops {
        match (&op.path, op.op.as_str()) {
            (None, "remove") => return Err(fault("noTarget", "remove needs a path")),
            (None, _) => {
                let value = op
                    .value
                    .clone()
                    .ok_or_else(|| fault("invalidValue", "add and replace need a value"))?;
                let Value::Object(map) = value else {
                    return Err(fault(
                        "invalidValue",
                        "without a path, the value must be an object of attributes",
                    ));
                };
                for (key, v) in map {
                    // Keys may be paths themselves (Entra: "name.givenName"); a schema URN
                    // (which has dots of its own) names an extension or its attribute.
                    let (_, rest) = split_urn(&key);
                    if rest.contains('.') || rest.contains('[') {
                        if let Some(p) = AttrPath::parse(&key)? {
                            set_path(resource, &p, v, op.op == "add")?;
                        }
                    } else {
                        let mut one = Map::new();
                        merge_key(&mut one, None, &key, v)?;
                        merge_into(resource, one, op.op == "add");
                    }
                }
            }
            (Some(path), kind) if split_urn(path) == (Some(Home::Enterprise), "") => {
                // The whole extension: its attributes merged, replaced or removed together.
                if kind == "remove" {
                    resource.remove(ENTERPRISE);
                    continue;
                }
                let value = op
                    .value
                    .clone()
                    .ok_or_else(|| fault("invalidValue", format!("{kind} needs a value")))?;
                let Value::Object(ext) = value else {
                    return Err(fault(
                        "invalidValue",
                        "the extension's value must be an object of its attributes",
                    ));
                };
                let mut one = Map::new();
                for (k, v) in ext {
                    merge_key(&mut one, Some(Home::Enterprise), &k, v)?;
                }
                if kind == "replace" {
                    resource.remove(ENTERPRISE);
                }
                merge_into(resource, one, kind == "add");
            }
            (Some(path), kind) => {
                let Some(p) = AttrPath::parse(path)? else {
                    continue; // an attribute we do not keep
                };
                if kind == "remove" {
                    remove_path(resource, &p, op.value.as_ref())?;
                } else {
                    let value = op
                        .value
                        .clone()
                        .ok_or_else(|| fault("invalidValue", format!("{kind} needs a value")))?;
                    set_path(resource, &p, value, kind == "add")?;
                }
            }
        }
    }
    Ok(())
}

/// Merges normalized attributes: `add` appends to multi-valued ones and merges complex
/// ones; `replace` replaces.
fn merge_into(resource: &mut Map<String, Value>, attrs: Map<String, Value>, add: bool) {
    for (key, value) in attrs {
        if key == ENTERPRISE {
            if let Value::Object(ext) = value {
                let target = container_mut(resource, Home::Enterprise);
                for (k, v) in ext {
                    merge_one(target, k, v, add);
                }
            }
        } else {
            merge_one(resource, key, value, add);
        }
    }
}

fn merge_one(target: &mut Map<String, Value>, key: String, value: Value, add: bool) {
    match (target.get_mut(&key), value) {
        (Some(Value::Array(existing)), Value::Array(new)) if add => {
            for v in new {
                if !existing.contains(&v) {
                    existing.push(v);
                }
            }
        }
        (Some(Value::Object(existing)), Value::Object(new)) => {
            for (k, v) in new {
                existing.insert(k, v);
            }
        }
        (_, value) => {
            target.insert(key, value);
        }
    }
}

fn set_path(resource: &mut Map<String, Value>, p: &AttrPath, value: Value, add: bool) -> Result<(), ScimFault> {
    let subs: &[&str] = resolve(Some(p.home), p.attr).map(|(_, _, s)| s).unwrap_or(&[]);
    let target = container_mut(resource, p.home);
    match (&p.filter, p.sub) {
        (None, None) => {
            let v = normalize_value(p.attr, subs, value);
            merge_one(target, p.attr.to_string(), v, add);
        }
        (None, Some(sub)) => {
            let entry = target
                .entry(p.attr.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            if let Some(m) = entry.as_object_mut() {
                m.insert(sub.to_string(), coerce(p.attr, Some(sub), value));
            }
        }
        (Some(filter), sub) => {
            let list = target
                .entry(p.attr.to_string())
                .or_insert_with(|| Value::Array(Vec::new()));
            let Value::Array(items) = list else {
                return Err(fault("invalidPath", format!("{} is not multi-valued", p.attr)));
            };
            let mut matched = false;
            for item in items.iter_mut().filter(|i| filter.matches(i)) {
                matched = true;
                match (sub, item.as_object_mut()) {
                    (Some(sub), Some(m)) => {
                        m.insert(sub.to_string(), coerce(p.attr, Some(sub), value.clone()));
                    }
                    (None, Some(m)) => {
                        if let Value::Object(new) = normalize_value(p.attr, subs, value.clone()) {
                            for (k, v) in new {
                                m.insert(k, v);
                            }
                        }
                    }
                    _ => {}
                }
            }
            if !matched {
                // Entra adds `emails[type eq "work"].value` to a user with no work email.
                let mut item = Map::new();
                if let Some((attr, v)) = filter.equality() {
                    item.insert(attr.to_string(), v);
                }
                match sub {
                    Some(sub) => {
                        item.insert(sub.to_string(), coerce(p.attr, Some(sub), value));
                    }
                    None => {
                        if let Value::Object(new) = normalize_value(p.attr, subs, value) {
                            item.extend(new);
                        }
                    }
                }
                items.push(Value::Object(item));
            }
        }
    }
    fix_primary(resource);
    Ok(())
}

fn remove_path(resource: &mut Map<String, Value>, p: &AttrPath, value: Option<&Value>) -> Result<(), ScimFault> {
    let target = container_mut(resource, p.home);
    match (&p.filter, p.sub) {
        (None, None) => match (target.get_mut(p.attr), value) {
            // Remove the listed values of a multi-valued attribute (Entra's style).
            (Some(Value::Array(items)), Some(Value::Array(gone))) => items.retain(|i| {
                !gone
                    .iter()
                    .any(|g| g.get("value").is_some() && g.get("value") == i.get("value"))
            }),
            _ => {
                target.remove(p.attr);
            }
        },
        (None, Some(sub)) => {
            if let Some(Value::Object(m)) = target.get_mut(p.attr) {
                m.remove(sub);
            }
        }
        (Some(filter), sub) => {
            if let Some(Value::Array(items)) = target.get_mut(p.attr) {
                match sub {
                    None => items.retain(|i| !filter.matches(i)),
                    Some(sub) => {
                        for item in items.iter_mut().filter(|i| filter.matches(i)) {
                            if let Some(m) = item.as_object_mut() {
                                m.remove(sub);
                            }
                        }
                    }
                }
            }
        }
    }
    // What the removal left empty is gone too (an empty list or object is no value).
    let target = container_mut(resource, p.home);
    let emptied = match target.get(p.attr) {
        Some(Value::Array(items)) => items.is_empty(),
        Some(Value::Object(m)) => m.is_empty(),
        _ => false,
    };
    if emptied {
        target.remove(p.attr);
    }
    if container(resource, Home::Enterprise).is_some_and(Map::is_empty) {
        resource.remove(ENTERPRISE);
    }
    Ok(())
}

/// At most one email is primary (RFC 7643 §2.4): the last one marked wins.
fn fix_primary(resource: &mut Map<String, Value>) {
    if let Some(Value::Array(items)) = resource.get_mut("emails") {
        let last = items.iter().rposition(|i| i.get("primary") == Some(&Value::Bool(true)));
        if let Some(last) = last {
            for (n, i) in items.iter_mut().enumerate() {
                if n != last {
                    if let Some(m) = i.as_object_mut() {
                        if m.get("primary") == Some(&Value::Bool(true)) {
                            m.insert("primary".into(), Value::Bool(false));
                        }
                    }
                }
            }
        }
    }
}

/// A filter expression: comparisons joined by `and` / `or` (no grouping), `not` absent.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    Compare { attr: String, op: String, value: Value },
    Present { attr: String },
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
}

impl Filter {
    pub fn parse(raw: &str) -> Result<Filter, ScimFault> {
        let tokens = tokenize(raw)?;
        let mut pos = 0;
        let f = parse_or(&tokens, &mut pos)?;
        if pos != tokens.len() {
            return Err(fault(
                "invalidFilter",
                format!("unexpected {:?} in the filter", tokens[pos]),
            ));
        }
        Ok(f)
    }

    /// `attr eq value`, when the filter is one such comparison (to seed a new list entry).
    pub fn equality(&self) -> Option<(&str, Value)> {
        match self {
            Filter::Compare { attr, op, value } if op == "eq" => {
                let name = attr.rsplit('.').next().unwrap_or(attr);
                canonical_sub(&["value", "type", "primary", "display"], name).map(|n| (n, value.clone()))
            }
            _ => None,
        }
    }

    /// Whether a JSON value (a resource, or a list entry for filters in a path) matches.
    pub fn matches(&self, v: &Value) -> bool {
        match self {
            Filter::And(a, b) => a.matches(v) && b.matches(v),
            Filter::Or(a, b) => a.matches(v) || b.matches(v),
            Filter::Present { attr } => lookup(v, attr)
                .iter()
                .any(|x| !x.is_null() && *x != &Value::String(String::new())),
            Filter::Compare { attr, op, value } => lookup(v, attr).iter().any(|x| compare(x, op, value)),
        }
    }
}

/// The values at `attr` (a dotted path, case-insensitive, URN-prefixed or not; through lists).
fn lookup<'a>(v: &'a Value, attr: &str) -> Vec<&'a Value> {
    let (home, rest) = split_urn(attr);
    let mut current: Vec<&Value> = match home {
        Some(Home::Enterprise) => v.get(ENTERPRISE).into_iter().collect(),
        _ => vec![v],
    };
    for part in rest.split('.') {
        let mut next = Vec::new();
        for c in current {
            let items: Vec<&Value> = match c {
                Value::Array(a) => a.iter().collect(),
                other => vec![other],
            };
            for item in items {
                if let Some(m) = item.as_object() {
                    let found = m.iter().find(|(k, _)| k.eq_ignore_ascii_case(part)).map(|(_, v)| v);
                    let found = found.or_else(|| {
                        (home.is_none())
                            .then(|| {
                                m.get(ENTERPRISE)
                                    .and_then(|e| e.as_object())
                                    .and_then(|e| e.iter().find(|(k, _)| k.eq_ignore_ascii_case(part)).map(|(_, v)| v))
                            })
                            .flatten()
                    });
                    if let Some(f) = found {
                        match f {
                            Value::Array(a) => next.extend(a.iter()),
                            other => next.push(other),
                        }
                    }
                }
            }
        }
        current = next;
    }
    current
}

fn compare(x: &Value, op: &str, value: &Value) -> bool {
    match (x, value) {
        (Value::String(a), Value::String(b)) => {
            // Strings compare case-insensitively (userName, emails are caseExact false).
            let (a, b) = (a.to_lowercase(), b.to_lowercase());
            match op {
                "eq" => a == b,
                "ne" => a != b,
                "co" => a.contains(&b),
                "sw" => a.starts_with(&b),
                "ew" => a.ends_with(&b),
                "gt" => a > b,
                "ge" => a >= b,
                "lt" => a < b,
                "le" => a <= b,
                _ => false,
            }
        }
        (a, b) => match op {
            "eq" => a == b,
            "ne" => a != b,
            _ => false,
        },
    }
}

fn tokenize(raw: &str) -> Result<Vec<String>, ScimFault> {
    let mut tokens = Vec::new();
    let mut chars = raw.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '"' {
            chars.next();
            let mut s = String::from("\"");
            let mut closed = false;
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        if let Some(n) = chars.next() {
                            s.push(n);
                        }
                    }
                    '"' => {
                        closed = true;
                        break;
                    }
                    other => s.push(other),
                }
            }
            if !closed {
                return Err(fault("invalidFilter", "a string in the filter is not closed"));
            }
            tokens.push(s);
        } else if c == '(' || c == ')' {
            return Err(fault("invalidFilter", "grouping with parentheses is not supported"));
        } else {
            let mut s = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                s.push(c);
                chars.next();
            }
            tokens.push(s);
        }
    }
    if tokens.is_empty() {
        return Err(fault("invalidFilter", "the filter is empty"));
    }
    Ok(tokens)
}

fn parse_or(t: &[String], pos: &mut usize) -> Result<Filter, ScimFault> {
    let mut left = parse_and(t, pos)?;
    while t.get(*pos).is_some_and(|w| w.eq_ignore_ascii_case("or")) {
        *pos += 1;
        left = Filter::Or(Box::new(left), Box::new(parse_and(t, pos)?));
    }
    Ok(left)
}

fn parse_and(t: &[String], pos: &mut usize) -> Result<Filter, ScimFault> {
    let mut left = parse_comparison(t, pos)?;
    while t.get(*pos).is_some_and(|w| w.eq_ignore_ascii_case("and")) {
        *pos += 1;
        left = Filter::And(Box::new(left), Box::new(parse_comparison(t, pos)?));
    }
    Ok(left)
}

fn parse_comparison(t: &[String], pos: &mut usize) -> Result<Filter, ScimFault> {
    let attr = t
        .get(*pos)
        .ok_or_else(|| fault("invalidFilter", "the filter ends too soon"))?
        .clone();
    if attr.starts_with('"') {
        return Err(fault("invalidFilter", "a filter starts with an attribute name"));
    }
    let op = t
        .get(*pos + 1)
        .ok_or_else(|| fault("invalidFilter", format!("{attr} needs an operator")))?
        .to_ascii_lowercase();
    if op == "pr" {
        *pos += 2;
        return Ok(Filter::Present { attr });
    }
    if !matches!(
        op.as_str(),
        "eq" | "ne" | "co" | "sw" | "ew" | "gt" | "ge" | "lt" | "le"
    ) {
        return Err(fault("invalidFilter", format!("{op:?} is not a SCIM filter operator")));
    }
    let raw = t
        .get(*pos + 2)
        .ok_or_else(|| fault("invalidFilter", format!("{attr} {op} needs a value")))?;
    let value = match raw.strip_prefix('"') {
        Some(s) => Value::String(s.to_string()),
        None if raw.eq_ignore_ascii_case("true") => Value::Bool(true),
        None if raw.eq_ignore_ascii_case("false") => Value::Bool(false),
        None if raw.eq_ignore_ascii_case("null") => Value::Null,
        None => {
            serde_json::from_str::<Value>(raw).map_err(|_| fault("invalidFilter", format!("{raw:?} is not a value")))?
        }
    };
    *pos += 3;
    Ok(Filter::Compare { attr, op, value })
}

/// Keeps what `attributes` asks for (plus `id`, `schemas`, `meta`), or drops what
/// `excludedAttributes` names; both are comma-separated attribute paths.
pub fn project(resource: &mut Map<String, Value>, attributes: Option<&str>, excluded: Option<&str>) {
    let list = |s: &str| -> Vec<String> {
        s.split(',')
            .map(|a| a.trim().to_string())
            .filter(|a| !a.is_empty())
            .collect()
    };
    if let Some(wanted) = attributes.map(list).filter(|l| !l.is_empty()) {
        let keep = |key: &str, sub: Option<&str>| {
            wanted.iter().any(|w| {
                let (home, rest) = split_urn(w);
                let (head, tail) = rest.split_once('.').unwrap_or((rest, ""));
                let in_ext = home == Some(Home::Enterprise);
                let key_matches = head.eq_ignore_ascii_case(key) || (in_ext && key == ENTERPRISE && rest.is_empty());
                key_matches && (sub.is_none() || tail.is_empty() || sub.is_some_and(|s| s.eq_ignore_ascii_case(tail)))
            })
        };
        let keys: Vec<String> = resource.keys().cloned().collect();
        for key in keys {
            if matches!(key.as_str(), "id" | "schemas" | "meta") {
                continue;
            }
            if key == ENTERPRISE {
                if let Some(Value::Object(ext)) = resource.get_mut(ENTERPRISE) {
                    let inner: Vec<String> = ext.keys().cloned().collect();
                    for k in inner {
                        let wanted_here = wanted.iter().any(|w| {
                            let (home, rest) = split_urn(w);
                            (home == Some(Home::Enterprise)
                                && (rest.is_empty()
                                    || rest.split('.').next().is_some_and(|h| h.eq_ignore_ascii_case(&k))))
                                || (home.is_none()
                                    && rest.split('.').next().is_some_and(|h| h.eq_ignore_ascii_case(&k)))
                        });
                        if !wanted_here {
                            ext.remove(&k);
                        }
                    }
                    if ext.is_empty() {
                        resource.remove(ENTERPRISE);
                    }
                }
                continue;
            }
            if !keep(&key, None) {
                resource.remove(&key);
            } else if let Some(Value::Object(m)) = resource.get_mut(&key) {
                let subs: Vec<String> = m.keys().cloned().collect();
                for s in subs {
                    if !keep(&key, Some(&s)) {
                        m.remove(&s);
                    }
                }
            }
        }
    } else if let Some(gone) = excluded.map(list) {
        for g in gone {
            let (home, rest) = split_urn(&g);
            let (head, tail) = rest.split_once('.').unwrap_or((rest, ""));
            if matches!(head, "id" | "schemas" | "meta") && home.is_none() {
                continue;
            }
            let target = match home {
                Some(Home::Enterprise) => match resource.get_mut(ENTERPRISE).and_then(Value::as_object_mut) {
                    Some(m) => m,
                    None => continue,
                },
                _ => &mut *resource,
            };
            let key = target.keys().find(|k| k.eq_ignore_ascii_case(head)).cloned();
            if let Some(key) = key {
                if tail.is_empty() {
                    target.remove(&key);
                } else if let Some(Value::Object(m)) = target.get_mut(&key) {
                    let sub = m.keys().find(|k| k.eq_ignore_ascii_case(tail)).cloned();
                    if let Some(sub) = sub {
                        m.remove(&sub);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn user() -> Map<String, Value> {
        normalize(&json!({
            "schemas": [USER_SCHEMA, ENTERPRISE],
            "UserName": "ann@example.com",
            "name": {"givenName": "Ann", "FamilyName": "Lee", "middleName": "dropped"},
            "emails": [{"value": "ann@example.com", "type": "work", "primary": true}],
            "phoneNumbers": [{"value": "123"}],
            ENTERPRISE: {"department": "Support", "manager": {"value": "m1"}}
        }))
        .unwrap()
    }

    #[test]
    fn resources_keep_our_attributes_in_canonical_names() {
        let u = user();
        assert_eq!(u["userName"], "ann@example.com");
        assert_eq!(u["name"], json!({"givenName": "Ann", "familyName": "Lee"}));
        assert!(!u.contains_key("phoneNumbers") && !u.contains_key("schemas"));
        assert_eq!(u[ENTERPRISE]["department"], "Support");
    }

    fn patch(u: &mut Map<String, Value>, ops: Value) -> Result<(), ScimFault> {
        apply_patch(u, &patch_ops(&json!({"schemas": [PATCH_OP], "Operations": ops}))?)
    }

    #[test]
    fn okta_and_entra_patches_apply() {
        let mut u = user();
        // Okta: replace with a value object and no path.
        patch(
            &mut u,
            json!([{"op": "replace", "value": {"active": false, "name": {"givenName": "Anna"}}}]),
        )
        .unwrap();
        assert_eq!(
            (
                u["active"].clone(),
                u["name"]["givenName"].clone(),
                u["name"]["familyName"].clone()
            ),
            (json!(false), json!("Anna"), json!("Lee"))
        );
        // Entra: capitalised ops, string booleans, filters in paths, URN paths, a bare manager id.
        patch(
            &mut u,
            json!([
                {"op": "Replace", "path": "active", "value": "True"},
                {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "ann.lee@example.com"},
                {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Sales"},
                {"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": "m2"},
                {"op": "Add", "path": "title", "value": "ignored: not kept"}
            ]),
        )
        .unwrap();
        assert_eq!(u["active"], true);
        assert_eq!(u["emails"][0]["value"], "ann.lee@example.com");
        assert_eq!(u[ENTERPRISE]["department"], "Sales");
        assert_eq!(u[ENTERPRISE]["manager"]["value"], "m2");
        patch(
            &mut u,
            json!([{"op": "remove", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"}]),
        )
        .unwrap();
        assert!(u[ENTERPRISE].get("manager").is_none());
        // A filter that matches nothing adds an entry (Entra adds the work email so).
        patch(
            &mut u,
            json!([{"op": "add", "path": "emails[type eq \"home\"].value", "value": "a@home.example"}]),
        )
        .unwrap();
        assert_eq!(u["emails"][1], json!({"type": "home", "value": "a@home.example"}));
        assert_eq!(
            patch(&mut u, json!([{"op": "remove"}])).unwrap_err().scim_type,
            "noTarget"
        );
        assert_eq!(
            patch(&mut u, json!([{"op": "move", "path": "x"}]))
                .unwrap_err()
                .scim_type,
            "invalidSyntax"
        );
        assert_eq!(
            patch(&mut u, json!([{"op": "add", "path": "name[x eq 1]", "value": 1}]))
                .unwrap_err()
                .scim_type,
            "invalidPath"
        );
    }

    #[test]
    fn filters_compare_without_case_and_combine() {
        let u = Value::Object(user());
        let f = |s: &str| Filter::parse(s).unwrap().matches(&u);
        assert!(f("userName eq \"ANN@example.com\""));
        assert!(f("emails.value co \"ann\" and name.givenName sw \"A\""));
        assert!(f("userName eq \"x\" or department eq \"Support\""));
        assert!(f(
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq \"support\""
        ));
        assert!(f("emails pr") && f("emails.type eq \"work\""));
        assert!(!f("userName ne \"ann@example.com\""));
        assert_eq!(
            Filter::parse("userName xx \"a\"").unwrap_err().scim_type,
            "invalidFilter"
        );
        assert_eq!(Filter::parse("userName eq \"a").unwrap_err().scim_type, "invalidFilter");
    }

    #[test]
    fn any_text_is_refused_or_read_never_a_panic() {
        let nasty = [
            "ü".repeat(40),
            format!("x{}", "ü".repeat(40)),
            format!("{}é:x", &ENTERPRISE[..40]),
            "emails[".into(),
            "emails]x[".into(),
            "[]".into(),
            "a.b.c.d".into(),
            "\"".into(),
            "name.givenName eq".into(),
            "userName eq \"\\".into(),
            "x pr and".into(),
            "emails[value eq \"ü\"].value".into(),
        ];
        for raw in &nasty {
            let _ = AttrPath::parse(raw);
            let _ = Filter::parse(raw);
            let mut u = user();
            let _ = patch(&mut u, json!([{"op": "add", "path": raw, "value": {"ü": 1}}]));
            let _ = patch(&mut u, json!([{"op": "remove", "path": raw}]));
            let _ = patch(
                &mut u,
                json!([{"op": "replace", "value": {raw.as_str(): [1, {"x": null}]}}]),
            );
            project(&mut u, Some(raw), Some(raw));
        }
    }

    #[test]
    fn projection_keeps_or_drops_attributes() {
        let mut u = user();
        u.insert("id".into(), json!("1"));
        project(&mut u, Some("userName,name.givenName"), None);
        assert_eq!(
            Value::Object(u.clone()),
            json!({"id": "1", "userName": "ann@example.com", "name": {"givenName": "Ann"}})
        );
        let mut u = user();
        project(
            &mut u,
            None,
            Some("emails,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"),
        );
        assert!(!u.contains_key("emails") && u[ENTERPRISE].get("department").is_none());
    }
}
