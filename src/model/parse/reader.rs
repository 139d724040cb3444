//! Reading loose JSON by hand: typed access to an object's keys (short name first, then alias)
//! that records a problem, with its JSON path, for every value of the wrong type or out of range.
//!
//! Nothing here panics on any JSON value, and nothing stops at the first problem: a value that
//! fails gives `None` (the caller uses a placeholder) and its path is remembered as failed, so
//! that validation does not report it a second time.

use std::cell::Cell;
use std::collections::{HashMap, HashSet};

use std::borrow::Cow;

use crate::model::json::Json;

use crate::model::{Problems, SegPath};

/// A key of a wire object: its short name and, for some keys, the long alias read when the short
/// name is absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Key {
    /// The short name (the one output uses).
    pub(crate) name: &'static str,
    /// The long alias, if the key has one.
    pub(crate) alias: Option<&'static str>,
}

impl Key {
    /// A key without alias.
    pub(crate) const fn new(name: &'static str) -> Key {
        Key { name, alias: None }
    }

    /// A key with a long alias.
    pub(crate) const fn aliased(name: &'static str, alias: &'static str) -> Key {
        Key {
            name,
            alias: Some(alias),
        }
    }
}

/// What parsing found so far.
#[derive(Debug, Default)]
pub(crate) struct Collector {
    /// The problems, in document order, paths as written in the body: the first
    /// [`MAX_PROBLEMS`](crate::model::validate::MAX_PROBLEMS), the others only counted.
    pub(crate) problems: Problems,
    /// How many problems were found beyond those kept.
    pub(crate) unshown: usize,
    /// Canonical paths (short names) of values that failed to parse or are missing but required.
    pub(crate) failed: HashSet<String>,
    /// Every key that was read by its alias.
    pub(crate) renames: Renames,
    /// Whether [`Collector::renames`] is left empty (a first reading, whose problems, if any,
    /// send the body to a second one that notes them).
    pub(crate) skip_renames: bool,
}

/// The keys read by their alias: canonical path → path as written. Recorded in one buffer, so
/// that a body using aliases throughout costs no allocation per key; indexed only when needed.
#[derive(Debug, Default)]
pub(crate) struct Renames {
    /// The paths, one after the other.
    text: String,
    /// For each key, in the order read: where its canonical path starts, where its path as
    /// written starts (and the canonical one ends), and where that ends.
    spans: Vec<(usize, usize, usize)>,
}

impl Renames {
    /// Records that the key at `loc` was read by its alias.
    fn record(&mut self, loc: &Loc<'_>) {
        let start = self.text.len();
        loc.write(&mut self.text, false);
        let middle = self.text.len();
        loc.write(&mut self.text, true);
        self.spans.push((start, middle, self.text.len()));
    }

    /// Whether no key was read by its alias.
    pub(crate) fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Canonical path → path as written.
    pub(crate) fn index(&self) -> HashMap<&str, &str> {
        self.spans
            .iter()
            .map(|&(start, middle, end)| (&self.text[start..middle], &self.text[middle..end]))
            .collect()
    }
}

impl Collector {
    /// Records a problem at `loc` and marks it failed.
    pub(crate) fn fail(&mut self, loc: &Loc<'_>, message: impl Into<String>) {
        if self.problems.0.len() < crate::model::validate::MAX_PROBLEMS {
            self.problems.push(loc.shown(), message);
            self.failed.insert(loc.canon());
        } else {
            // Beyond what is shown, a problem is only counted (and the body is not validated
            // further, so no failed value needs remembering).
            self.unshown += 1;
        }
    }

    /// Marks `loc` failed without a problem of its own (its cause was reported elsewhere).
    pub(crate) fn taint(&mut self, loc: &Loc<'_>) {
        if self.unshown == 0 {
            self.failed.insert(loc.canon());
        }
    }

    /// Whether `loc` failed.
    pub(crate) fn has_failed(&self, loc: &Loc<'_>) -> bool {
        !self.failed.is_empty() && self.failed.contains(&loc.canon())
    }
}

/// The last step of a [`Loc`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step<'a> {
    /// A member of an object: its short name and its name as written.
    Key { name: &'a str, written: &'a str },
    /// An element of an array.
    Index(usize),
}

/// Where a value is: a chain of steps from the whole body, borrowed from the enclosing
/// locations. Its canonical path (short names) and its path as written in the body are only
/// formatted when asked for (when a problem is recorded), so that reading a value that has no
/// problem allocates nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Loc<'a> {
    /// The enclosing location and the step from it; `None` for the whole body.
    last: Option<(&'a Loc<'a>, Step<'a>)>,
}

impl<'a> Loc<'a> {
    /// The whole body.
    pub(crate) fn root() -> Loc<'static> {
        Loc { last: None }
    }

    /// The member `name` of this object, written as `written`.
    pub(crate) fn key<'b>(&'b self, name: &'b str, written: &'b str) -> Loc<'b> {
        Loc {
            last: Some((self, Step::Key { name, written })),
        }
    }

    /// The element `i` of this array.
    pub(crate) fn index(&self, i: usize) -> Loc<'_> {
        Loc {
            last: Some((self, Step::Index(i))),
        }
    }

    /// Appends the path to `out`: as written, or canonical.
    fn write(&self, out: &mut String, as_written: bool) {
        self.write_after(out, out.len(), as_written);
    }

    /// [`Loc::write`], the path starting at `start` in `out`.
    fn write_after(&self, out: &mut String, start: usize, as_written: bool) {
        let Some((parent, step)) = self.last else {
            return;
        };
        parent.write_after(out, start, as_written);
        match step {
            Step::Key { name, written } => {
                if out.len() > start {
                    out.push('.');
                }
                out.push_str(if as_written { written } else { name });
            }
            Step::Index(i) => {
                use std::fmt::Write;
                // Writing to a String cannot fail.
                let _ = write!(out, "[{i}]");
            }
        }
    }

    /// The canonical path (short names), empty for the whole body.
    pub(crate) fn canon(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, false);
        out
    }

    /// The path as written, `$` for the whole body.
    pub(crate) fn shown(&self) -> String {
        let mut written = String::new();
        self.write(&mut written, true);
        if written.is_empty() {
            "$".to_owned()
        } else {
            written
        }
    }
}

/// Most keys in a key table (each table is checked against it at compile time).
pub(crate) const MAX_KEYS: usize = 20;

/// How a member's name matches a key of a table.
#[derive(Clone, Copy)]
enum Match {
    /// Its short name.
    Name,
    /// Its alias.
    Alias,
}

impl Key {
    /// Whether `member` names this key, and how.
    fn matches(&self, member: &str) -> Option<Match> {
        if self.name == member {
            Some(Match::Name)
        } else if self.alias == Some(member) {
            Some(Match::Alias)
        } else {
            None
        }
    }
}

/// An object being read, with the table of its accepted keys.
///
/// The object's members are matched against the table once, when the reader is made, so that
/// reading a key costs no hashing and no walk of the object.
pub(crate) struct Reader<'v, 'l> {
    loc: Loc<'l>,
    keys: &'static [Key],
    /// The non-null value of each key of the table under its short name, by position in the table.
    by_name: [Option<&'v Json<'v>>; MAX_KEYS],
    /// The non-null value of each key of the table under its alias, by position in the table.
    by_alias: [Option<&'v Json<'v>>; MAX_KEYS],
    /// Where in the table the next key read probably is (keys are mostly read in table order).
    next: Cell<usize>,
}

impl<'v, 'l> Reader<'v, 'l> {
    /// Reads `value` as an object with these keys, or records `must be an object`.
    pub(crate) fn new(
        c: &mut Collector,
        value: &'v Json<'v>,
        loc: Loc<'l>,
        keys: &'static [Key],
    ) -> Option<Reader<'v, 'l>> {
        let Json::Object(obj) = value else {
            c.fail(&loc, "must be an object");
            return None;
        };
        let mut r = Reader {
            loc,
            keys,
            by_name: [None; MAX_KEYS],
            by_alias: [None; MAX_KEYS],
            next: Cell::new(0),
        };
        r.file_members(obj);
        Some(r)
    }

    /// Files each non-null member of `obj` under its key in the table (the last one, when a key
    /// is repeated); ignores unknown members.
    /// Members are mostly written in table order, so each is first tried against the key after
    /// the previous member's.
    fn file_members(&mut self, obj: &'v [(Cow<'v, str>, Json<'v>)]) {
        let keys = self.keys;
        let mut guess = 0;
        for (member, v) in obj {
            let found = keys
                .get(guess)
                .and_then(|k| k.matches(member))
                .map(|m| (guess, m))
                .or_else(|| {
                    keys.iter()
                        .enumerate()
                        .find_map(|(i, k)| k.matches(member).map(|m| (i, m)))
                });
            let Some((i, how)) = found else {
                continue;
            };
            // A repeated member replaces the earlier one; a null one leaves the key absent.
            let v = (!v.is_null()).then_some(v);
            match how {
                Match::Name => self.by_name[i] = v,
                Match::Alias => self.by_alias[i] = v,
            }
            guess = i + 1;
        }
    }

    /// The position of `name` in the key table.
    fn position(&self, name: &str) -> Option<usize> {
        let guess = self.next.get();
        let i = if self.keys.get(guess).is_some_and(|k| k.name == name) {
            guess
        } else {
            self.keys.iter().position(|k| k.name == name)?
        };
        self.next.set(i + 1);
        Some(i)
    }

    /// The location of key `name`, as if written with its short name.
    pub(crate) fn loc(&self, name: &'static str) -> Loc<'_> {
        self.loc.key(name, name)
    }

    /// The value of key `name` (short name first, then its alias) and where it is; `null` counts as
    /// absent. `name` must be in the object's key table.
    pub(crate) fn get(
        &self,
        c: &mut Collector,
        name: &'static str,
    ) -> Option<(&'v Json<'v>, Loc<'_>)> {
        debug_assert!(
            self.keys.iter().any(|k| k.name == name),
            "{name:?} is not in the key table"
        );
        let i = self.position(name)?;
        if let Some(v) = self.by_name[i] {
            return Some((v, self.loc(name)));
        }
        let v = self.by_alias[i]?;
        let alias = self.keys[i].alias?;
        let loc = self.loc.key(name, alias);
        if !c.skip_renames {
            c.renames.record(&loc);
        }
        Some((v, loc))
    }

    /// A required key: its value, or `required` recorded.
    pub(crate) fn require(
        &self,
        c: &mut Collector,
        name: &'static str,
    ) -> Option<(&'v Json<'v>, Loc<'_>)> {
        let found = self.get(c, name);
        if found.is_none() {
            c.fail(&self.loc(name), "required");
        }
        found
    }

    /// Applies a reader of values to key `name`, if present.
    pub(crate) fn with<T>(
        &self,
        c: &mut Collector,
        name: &'static str,
        read: impl FnOnce(&mut Collector, &'v Json<'v>, &Loc<'_>) -> Option<T>,
    ) -> Option<T> {
        let (v, loc) = self.get(c, name)?;
        read(c, v, &loc)
    }

    /// A required id (a non-empty string); the empty placeholder when missing or wrong.
    pub(crate) fn required_id(&self, c: &mut Collector, name: &'static str) -> String {
        match self.require(c, name) {
            Some((v, loc)) => id(c, v, &loc).unwrap_or_default(),
            None => String::new(),
        }
    }

    /// An array key, each element read by `item` (which gets the element's location).
    pub(crate) fn list<T>(
        &self,
        c: &mut Collector,
        name: &'static str,
        item: impl FnMut(&mut Collector, &'v Json<'v>, Loc<'_>) -> T,
    ) -> Option<Vec<T>> {
        let (v, loc) = self.get(c, name)?;
        list(c, v, &loc, item)
    }
}

/// Reads an array, each element by `item`; `None` (and a problem) when `v` is not an array.
pub(crate) fn list<'v, T>(
    c: &mut Collector,
    v: &'v Json<'v>,
    loc: &Loc<'_>,
    mut item: impl FnMut(&mut Collector, &'v Json<'v>, Loc<'_>) -> T,
) -> Option<Vec<T>> {
    match v {
        Json::Array(items) => Some(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| item(c, v, loc.index(i)))
                .collect(),
        ),
        _ => {
            c.fail(loc, "must be an array");
            None
        }
    }
}

/// A string.
pub(crate) fn string(c: &mut Collector, v: &Json<'_>, loc: &Loc<'_>) -> Option<String> {
    match v {
        Json::String(s) => Some(s.to_string()),
        _ => {
            c.fail(loc, "must be a string");
            None
        }
    }
}

/// An id or name: a non-empty string.
pub(crate) fn id(c: &mut Collector, v: &Json<'_>, loc: &Loc<'_>) -> Option<String> {
    match v {
        Json::String(s) if !s.is_empty() => Some(s.to_string()),
        _ => {
            c.fail(loc, "must be a non-empty string");
            None
        }
    }
}

/// A list of ids; a wrong element becomes the empty placeholder.
pub(crate) fn ids(c: &mut Collector, v: &Json<'_>, loc: &Loc<'_>) -> Option<Vec<String>> {
    list(c, v, loc, |c, v, loc| id(c, v, &loc).unwrap_or_default())
}

/// A boolean.
pub(crate) fn boolean(c: &mut Collector, v: &Json<'_>, loc: &Loc<'_>) -> Option<bool> {
    match v {
        Json::Bool(b) => Some(*b),
        _ => {
            c.fail(loc, "must be true or false");
            None
        }
    }
}

/// 2⁶⁴ as an f64: the first float too large for a u64.
const TWO_POW_64: f64 = 18_446_744_073_709_551_616.0;

/// Why a JSON number is not a `u64`.
enum NotU64 {
    /// Not a number, or not integral.
    NotInteger,
    /// Below zero.
    Negative,
    /// 2⁶⁴ or more.
    TooLarge,
}

/// The integral value of a JSON number (10.0 is 10), if it is a non-negative integer below 2⁶⁴.
fn integral(v: &Json<'_>) -> Result<u64, NotU64> {
    let Json::Number(n) = v else {
        return Err(NotU64::NotInteger);
    };
    if let Some(u) = n.as_u64() {
        return Ok(u);
    }
    match n.as_f64() {
        Some(f) if f.fract() != 0.0 || !f.is_finite() => Err(NotU64::NotInteger),
        Some(f) if f < 0.0 => Err(NotU64::Negative),
        Some(f) if f < TWO_POW_64 => Ok(f as u64),
        Some(_) => Err(NotU64::TooLarge),
        None => Err(NotU64::NotInteger),
    }
}

/// An integer in `min..=max`.
pub(crate) fn uint(
    c: &mut Collector,
    v: &Json<'_>,
    loc: &Loc<'_>,
    min: u64,
    max: u64,
) -> Option<u64> {
    match integral(v) {
        Ok(u) if (min..=max).contains(&u) => return Some(u),
        Ok(u) if u < min => c.fail(loc, format!("must be at least {min}")),
        Ok(_) | Err(NotU64::TooLarge) => c.fail(loc, format!("must be at most {max}")),
        Err(_) if min == 0 => c.fail(loc, "must be a non-negative integer"),
        Err(_) => c.fail(loc, format!("must be an integer, at least {min}")),
    }
    None
}

/// [`uint`] for a `u32` field.
pub(crate) fn uint32(
    c: &mut Collector,
    v: &Json<'_>,
    loc: &Loc<'_>,
    min: u32,
    max: u32,
) -> Option<u32> {
    uint(c, v, loc, min.into(), max.into()).and_then(|u| u32::try_from(u).ok())
}

/// The lower end of a number's range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Floor {
    /// `≥ 0`.
    Zero,
    /// `> 0`.
    AboveZero,
}

/// A number (integer or not) above `floor` and at most `max`.
pub(crate) fn number(
    c: &mut Collector,
    v: &Json<'_>,
    loc: &Loc<'_>,
    floor: Floor,
    max: f64,
) -> Option<f64> {
    let Some(f) = v.as_f64().filter(|f| f.is_finite()) else {
        c.fail(loc, "must be a number");
        return None;
    };
    match floor {
        Floor::Zero if f < 0.0 => c.fail(loc, "must not be negative"),
        Floor::AboveZero if f <= 0.0 => c.fail(loc, "must be greater than 0"),
        _ if f > max => c.fail(loc, format!("must be at most {max}")),
        _ => return Some(f),
    }
    None
}

/// A physical bandwidth: `-1` (unknown, unlimited) or a number in `0..=max`.
pub(crate) fn bandwidth_or_unknown(
    c: &mut Collector,
    v: &Json<'_>,
    loc: &Loc<'_>,
    max: f64,
) -> Option<f64> {
    let f = v.as_f64();
    if f == Some(-1.0) {
        Some(-1.0)
    } else if f.is_some_and(|f| f < 0.0) {
        c.fail(loc, "must be -1 (unknown) or a non-negative number");
        None
    } else {
        number(c, v, loc, Floor::Zero, max)
    }
}

/// Affinity bits: a non-negative integer, or a hex string with optional `0x`, at most 64 bits.
pub(crate) fn affinity(c: &mut Collector, v: &Json<'_>, loc: &Loc<'_>) -> Option<u64> {
    match v {
        Json::Number(_) => match integral(v) {
            Ok(u) => return Some(u),
            Err(NotU64::TooLarge) => c.fail(loc, "exceeds 64 bits"),
            Err(_) => c.fail(loc, "must be a non-negative integer or a hex string"),
        },
        Json::String(s) => {
            let s: &str = s;
            let digits = s
                .strip_prefix("0x")
                .or_else(|| s.strip_prefix("0X"))
                .unwrap_or(s);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
                c.fail(loc, format!("{s:?} is not a hex number"));
            } else {
                let significant = digits.trim_start_matches('0');
                if significant.len() > 16 {
                    c.fail(loc, "exceeds 64 bits");
                } else {
                    return Some(u64::from_str_radix(significant, 16).unwrap_or(0));
                }
            }
        }
        _ => c.fail(loc, "must be a non-negative integer or a hex string"),
    }
    None
}

/// One of a closed set of names. `what` names the field in the message; `options` may list
/// several names of one value (aliases): the message shows the first of each.
pub(crate) fn choice<T: Copy + PartialEq>(
    c: &mut Collector,
    v: &Json<'_>,
    loc: &Loc<'_>,
    what: &str,
    options: &[(&str, T)],
) -> Option<T> {
    if let Some(s) = v.as_str() {
        if let Some((_, t)) = options.iter().find(|(name, _)| *name == s) {
            return Some(*t);
        }
    }
    let mut shown: Vec<&str> = Vec::new();
    for (i, (name, t)) in options.iter().enumerate() {
        if !options[..i].iter().any(|(_, u)| u == t) {
            shown.push(name);
        }
    }
    let expected = match shown.split_last() {
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    };
    match v.as_str() {
        Some(s) => c.fail(loc, format!("unknown {what} {s:?} (expected {expected})")),
        None => c.fail(loc, format!("must be a string ({expected})")),
    }
    None
}

/// A reader of one of a closed set of names, for [`Reader::with`]: see [`choice`].
pub(crate) fn one_of<T: Copy + PartialEq>(
    what: &'static str,
    options: &'static [(&'static str, T)],
) -> impl FnOnce(&mut Collector, &Json<'_>, &Loc<'_>) -> Option<T> {
    move |c, v, loc| choice(c, v, loc, what, options)
}

/// A placement shaped like a result's `segs`: an array (segments) of arrays (alternatives) of
/// arrays of id strings. Ids are not checked against the topology.
pub(crate) fn seg_path(c: &mut Collector, v: &Json<'_>, loc: &Loc<'_>) -> Option<SegPath> {
    let before = c.problems.0.len();
    let path = list(c, v, loc, |c, v, loc| {
        list(c, v, &loc, |c, v, loc| ids(c, v, &loc).unwrap_or_default()).unwrap_or_default()
    })?;
    (c.problems.0.len() == before).then_some(path)
}
