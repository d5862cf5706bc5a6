//! Finds where a value sits in RON text, so errors found after parsing (an unknown node,
//! `until` before `from`) can still point at `line:col`. serde keeps no positions, so this
//! reads the (already valid) text once more into a light tree of positions.

use std::ops::Range;

pub(crate) use faultline_models::Step;

/// A 1-based line and column.
pub(crate) type Pos = (usize, usize);

#[derive(Debug)]
enum Tree {
    /// `Name(a: 1, b: 2)`, `(a: 1)`: fields by name.
    Struct(Vec<(String, Located)>),
    /// `[..]`, `(x, y)`, `Name(x)`: elements by index.
    Seq(Vec<Located>),
    Atom,
}

#[derive(Debug)]
struct Located {
    pos: Pos,
    tree: Tree,
    /// `Name` of `Name(...)` or of a bare `Name`.
    name: Option<String>,
    /// Where `(` opens the body of `Name(...)` or `(...)`: char index and position.
    body: Option<(usize, Pos)>,
    /// The char indices of the value's first char and just past its last.
    start: usize,
    end: usize,
}

/// The body of a named value, `Name(...)`, as text that parses on its own: what a model
/// hands to serde for its part of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Body {
    /// `Name`; `None` for a value without one (a string, a number, an anonymous `(...)`).
    pub name: Option<String>,
    /// `(...)`: the parenthesised body, or `()` when the value is a bare `Name`. A body
    /// that only wraps one parenthesised value, `((...))`, is that value.
    pub text: String,
    /// Where `text` starts in the file (the name's position for a bare `Name`).
    pub pos: Pos,
    /// The whole value, `Name(...)`, and where it starts.
    pub whole: String,
    pub whole_pos: Pos,
}

struct Reader {
    chars: Vec<char>,
    at: usize,
    line: usize,
    col: usize,
}

impl Reader {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }
    fn peek2(&self) -> Option<char> {
        self.chars.get(self.at + 1).copied()
    }
    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.at += 1;
        if c == '\n' {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
        Some(c)
    }
    fn pos(&self) -> Pos {
        (self.line, self.col)
    }

    /// Skips white space and comments (`//` and nested `/* */`).
    fn skip_trivia(&mut self) {
        loop {
            match (self.peek(), self.peek2()) {
                (Some(c), _) if c.is_whitespace() => {
                    self.bump();
                }
                (Some('/'), Some('/')) => {
                    while self.peek().is_some_and(|c| c != '\n') {
                        self.bump();
                    }
                }
                (Some('/'), Some('*')) => {
                    let mut depth = 0usize;
                    while let Some(c) = self.bump() {
                        if c == '/' && self.peek() == Some('*') {
                            self.bump();
                            depth += 1;
                        } else if c == '*' && self.peek() == Some('/') {
                            self.bump();
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                    }
                }
                _ => return,
            }
        }
    }

    fn identifier(&mut self) -> String {
        let mut name = String::new();
        if self.peek() == Some('r') && self.peek2() == Some('#') {
            self.bump();
            self.bump();
        }
        while let Some(c) = self.peek().filter(|c| c.is_alphanumeric() || *c == '_') {
            name.push(c);
            self.bump();
        }
        name
    }

    fn string(&mut self) {
        let quote = self.bump();
        while let Some(c) = self.bump() {
            if c == '\\' {
                self.bump();
            } else if Some(c) == quote {
                return;
            }
        }
    }

    fn raw_string(&mut self) {
        self.bump(); // r
        let mut hashes = 0;
        while self.peek() == Some('#') {
            self.bump();
            hashes += 1;
        }
        self.bump(); // "
        while let Some(c) = self.bump() {
            if c == '"' {
                let mut closing = 0;
                while closing < hashes && self.peek() == Some('#') {
                    self.bump();
                    closing += 1;
                }
                if closing == hashes {
                    return;
                }
            }
        }
    }

    fn value(&mut self, depth: usize) -> Located {
        self.skip_trivia();
        let (pos, start) = (self.pos(), self.at);
        let (mut name, mut body) = (None, None);
        if depth > 128 {
            return Located { pos, tree: Tree::Atom, name, body, start, end: self.at };
        }
        let tree = match self.peek() {
            Some('"') | Some('\'') => {
                self.string();
                Tree::Atom
            }
            Some('r') if matches!(self.peek2(), Some('"') | Some('#')) && !self.is_raw_ident() => {
                self.raw_string();
                Tree::Atom
            }
            Some('[') => {
                self.bump();
                Tree::Seq(self.elements(']', depth))
            }
            Some('{') => {
                self.bump();
                self.elements('}', depth);
                Tree::Atom
            }
            Some('(') => {
                body = Some((self.at, self.pos()));
                self.bump();
                self.body(depth)
            }
            Some(c) if c.is_alphabetic() || c == '_' => {
                name = Some(self.identifier());
                self.skip_trivia();
                if self.peek() == Some('(') {
                    body = Some((self.at, self.pos()));
                    self.bump();
                    self.body(depth)
                } else {
                    Tree::Atom
                }
            }
            _ => {
                // Numbers, signs, anything else: read to the next delimiter.
                while self.peek().is_some_and(|c| !",)]}:".contains(c) && !c.is_whitespace()) {
                    self.bump();
                }
                Tree::Atom
            }
        };
        Located { pos, tree, name, body, start, end: self.at }
    }

    fn is_raw_ident(&self) -> bool {
        self.peek2() == Some('#') && self.chars.get(self.at + 2).is_some_and(|c| c.is_alphabetic())
    }

    /// After `(`: either `name: value, ...` (a struct) or `value, ...` (a tuple).
    fn body(&mut self, depth: usize) -> Tree {
        self.skip_trivia();
        let save = (self.at, self.line, self.col);
        if self.peek().is_some_and(|c| c.is_alphabetic() || c == '_') {
            let name = self.identifier();
            self.skip_trivia();
            if self.peek() == Some(':') {
                self.bump();
                let mut fields = vec![(name, self.value(depth + 1))];
                loop {
                    self.skip_trivia();
                    match self.bump() {
                        Some(',') => {}
                        _ => return Tree::Struct(fields),
                    }
                    self.skip_trivia();
                    if matches!(self.peek(), Some(')') | None) {
                        self.bump();
                        return Tree::Struct(fields);
                    }
                    let name = self.identifier();
                    self.skip_trivia();
                    if self.peek() == Some(':') {
                        self.bump();
                    }
                    fields.push((name, self.value(depth + 1)));
                }
            }
            (self.at, self.line, self.col) = save;
        }
        Tree::Seq(self.elements(')', depth))
    }

    fn elements(&mut self, close: char, depth: usize) -> Vec<Located> {
        let mut items = Vec::new();
        loop {
            self.skip_trivia();
            if self.peek() == Some(close) || self.peek().is_none() {
                self.bump();
                return items;
            }
            let before = self.at;
            items.push(self.value(depth + 1));
            self.skip_trivia();
            match self.peek() {
                Some(',') => {
                    self.bump();
                }
                Some(c) if c == close => {}
                _ if self.at == before => {
                    self.bump(); // never loop without progress on odd input
                }
                _ => {}
            }
        }
    }
}

/// The byte-order mark some editors put before the text: not part of the value, and
/// invisible, so it takes no column either.
pub(crate) const BOM: char = '\u{feff}';

/// A file read once into a tree of positions: every lookup after that walks the tree, so
/// checking a file with thousands of faults and errors reads it once, not once per lookup.
pub(crate) struct Positions {
    chars: Vec<char>,
    root: Located,
}

impl Positions {
    /// Reads the whole of `source`: a leading byte-order mark and `#![enable(...)]`
    /// attributes are skipped over, then the one value.
    pub(crate) fn new(source: &str) -> Positions {
        #[cfg(test)]
        tests::BUILDS.with(|builds| builds.set(builds.get() + 1));
        let mut reader = Reader { chars: source.chars().collect(), at: 0, line: 1, col: 1 };
        if reader.peek() == Some(BOM) {
            reader.at += 1;
        }
        loop {
            reader.skip_trivia();
            if reader.peek() == Some('#') {
                while reader.peek().is_some_and(|c| c != ']') {
                    reader.bump();
                }
                reader.bump();
            } else {
                break;
            }
        }
        let root = reader.value(0);
        Positions { chars: reader.chars, root }
    }

    /// The position of the value at `path`, or of the deepest part of the path that exists
    /// (a missing optional field points at its enclosing value). Never fails.
    pub(crate) fn locate(&self, path: &[Step]) -> Pos {
        find(&self.root, path).1
    }

    /// The body of the named value at `path`, if the path exists.
    pub(crate) fn body(&self, path: &[Step]) -> Option<Body> {
        let chars = &self.chars;
        let value = find(&self.root, path).0?;
        let text =
            |from: usize, to: usize| chars[from.min(to)..to.min(chars.len())].iter().collect();
        let whole = text(value.start, value.end);
        let (text, pos) = match (&value.tree, value.body) {
            (Tree::Seq(items), Some(_)) if matches!(items.as_slice(), [only] if only.name.is_none() && only.body.is_some()) =>
            {
                let only = &items[0];
                let (start, pos) = only.body.unwrap_or((0, only.pos));
                (text(start, only.end), pos)
            }
            (_, Some((start, pos))) => (text(start, value.end), pos),
            (_, None) => ("()".to_owned(), value.pos),
        };
        Some(Body { name: value.name.clone(), text, pos, whole, whole_pos: value.pos })
    }

    /// Where the value at `path` sits, as char indices `start..end`, if it exists.
    pub(crate) fn span(&self, path: &[Step]) -> Option<Range<usize>> {
        find(&self.root, path).0.map(|value| value.start..value.end)
    }

    /// The spans (char indices) of the elements of the list or tuple at `path`, if it is one.
    pub(crate) fn elements(&self, path: &[Step]) -> Option<Vec<Range<usize>>> {
        match &find(&self.root, path).0?.tree {
            Tree::Seq(items) => Some(items.iter().map(|item| item.start..item.end).collect()),
            _ => None,
        }
    }

    /// The char index of the top value's first char (after leading comments and
    /// attributes), and of the `(` that opens its body, if it has one.
    pub(crate) fn top(&self) -> (usize, Option<usize>) {
        (self.root.start, self.root.body.map(|(at, _)| at))
    }
}

/// The value at `path` if it exists, and the position of it or of its deepest existing part.
fn find<'t>(root: &'t Located, path: &[Step]) -> (Option<&'t Located>, Pos) {
    let mut here = root;
    let mut pos = root.pos;
    for step in path {
        // `Some(x)` and newtype wrappers like `Chat(x)` are transparent to field lookups.
        if let Step::Field(_) = step {
            while let Tree::Seq(items) = &here.tree {
                match items.as_slice() {
                    [only] => here = only,
                    _ => break,
                }
            }
        }
        let next = match (step, &here.tree) {
            (Step::Field(name), Tree::Struct(fields)) => {
                fields.iter().find(|(n, _)| n == name).map(|(_, value)| value)
            }
            (Step::Index(i), Tree::Seq(items)) => items.get(*i),
            _ => None,
        };
        match next {
            Some(value) => {
                pos = value.pos;
                here = value;
            }
            None => return (None, pos),
        }
    }
    (Some(here), pos)
}

#[cfg(test)]
pub(crate) mod tests {
    use std::cell::Cell;

    use super::*;

    thread_local! {
        /// How many times this thread read a file into [`Positions`]: the work of checking
        /// a file grows with this times its length.
        pub(crate) static BUILDS: Cell<usize> = const { Cell::new(0) };
    }

    fn locate(source: &str, path: &[Step]) -> Pos {
        Positions::new(source).locate(path)
    }

    const SOURCE: &str = r#"// a comment (with parens
Scenario(
    name: "x", /* (block) */
    faults: [
        Partition(between: (["a"], ["b"]), from: "2s", until: "1s"),
        Crash(node: "c", at: "1s"),
    ],
    variants: [(name: "v", policy: Chat(delivery: FireAndForget))],
)"#;

    #[test]
    fn finds_fields_and_list_elements() {
        use Step::*;
        assert_eq!(locate(SOURCE, &[Field("name")]), (3, 11));
        assert_eq!(locate(SOURCE, &[Field("faults"), Index(0), Field("until")]), (5, 63));
        assert_eq!(locate(SOURCE, &[Field("faults"), Index(1), Field("node")]), (6, 21));
        assert_eq!(
            locate(SOURCE, &[Field("faults"), Index(0), Field("between"), Index(1), Index(0)]),
            (5, 37)
        );
        assert_eq!(locate(SOURCE, &[Field("variants"), Index(0), Field("policy")]), (8, 36));
    }

    #[test]
    fn bodies_of_named_values_parse_on_their_own() {
        use Step::*;
        let policy =
            Positions::new(SOURCE).body(&[Field("variants"), Index(0), Field("policy")]).unwrap();
        assert_eq!(policy.name.as_deref(), Some("Chat"));
        assert_eq!(policy.text, "(delivery: FireAndForget)");
        assert_eq!(policy.pos, (8, 40));
        let wrapped = Positions::new("M(x: N((a: 1)), y: K)").body(&[Field("x")]).unwrap();
        assert_eq!((wrapped.name.as_deref(), wrapped.text.as_str()), (Some("N"), "(a: 1)"));
        let bare = Positions::new("M(x: N((a: 1)), y: K)").body(&[Field("y")]).unwrap();
        assert_eq!((bare.name.as_deref(), bare.text.as_str()), (Some("K"), "()"));
        assert_eq!(Positions::new(SOURCE).body(&[Field("nothing")]), None);
    }

    #[test]
    fn spans_cover_values_and_list_elements() {
        use Step::*;
        let text = |range: Range<usize>| {
            SOURCE.chars().skip(range.start).take(range.len()).collect::<String>()
        };
        assert_eq!(
            Positions::new(SOURCE).span(&[Field("name")]).map(text).as_deref(),
            Some("\"x\"")
        );
        let faults = Positions::new(SOURCE).elements(&[Field("faults")]).unwrap();
        let faults: Vec<String> = faults.into_iter().map(text).collect();
        assert_eq!(faults[1], "Crash(node: \"c\", at: \"1s\")");
        assert!(faults[0].starts_with("Partition(") && faults[0].ends_with(')'), "{faults:?}");
        assert_eq!(Positions::new(SOURCE).elements(&[Field("name")]), None);
        assert_eq!(Positions::new(SOURCE).span(&[Field("nothing")]), None);
        let (start, body) = Positions::new(SOURCE).top();
        assert_eq!(text(start..start + 9), "Scenario(");
        assert_eq!(body, Some(start + 8));
    }

    #[test]
    fn missing_parts_fall_back_to_the_deepest_found() {
        use Step::*;
        assert_eq!(locate(SOURCE, &[Field("faults"), Index(1), Field("restart")]), (6, 9));
        assert_eq!(locate("", &[Field("x")]), (1, 1));
        assert_eq!(locate("((((", &[Index(3)]), (1, 1));
    }

    #[test]
    fn a_byte_order_mark_takes_no_column() {
        use Step::*;
        let marked = format!("{BOM}{SOURCE}");
        assert_eq!(locate(&marked, &[Field("name")]), (3, 11));
        assert_eq!(locate(&format!("{BOM}M(x: 1)"), &[Field("x")]), (1, 6));
        // Char indices still count it, so edits land where they should in the file as read.
        assert_eq!(Positions::new(&format!("{BOM}M(x: 1)")).span(&[Field("x")]), Some(6..7));
    }
}
