//! A small element tree over `quick-xml`, with the byte offset of every element.
//!
//! GENIUS files are small (kilobytes); a tree makes the reader a plain walk, and offsets let every
//! error name its line.

use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

/// An element: name, attributes in document order, child elements, and where it starts.
#[derive(Clone, Debug, Default)]
pub(crate) struct Element {
    pub name: String,
    pub attributes: Vec<(String, String)>,
    pub children: Vec<Element>,
    pub offset: usize,
}

/// Why a text is not well-formed XML, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct XmlError {
    pub offset: usize,
    pub message: String,
}

/// Elements nest at most this deep (GENIUS files nest five or six levels).
const MAX_DEPTH: usize = 256;

impl Element {
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }

    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |child| child.name == name)
    }

    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|child| child.name == name)
    }

    /// Every descendant with this name, depth first.
    pub fn descendants_named<'a>(&'a self, name: &'a str, found: &mut Vec<&'a Element>) {
        for child in &self.children {
            if child.name == name {
                found.push(child);
            }
            child.descendants_named(name, found);
        }
    }
}

/// Parses a document and returns its root element.
pub(crate) fn parse(text: &str) -> Result<Element, XmlError> {
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let offset = reader.buffer_position() as usize;
        let event =
            reader.read_event().map_err(|error| XmlError { offset: reader.error_position() as usize, message: error.to_string() })?;
        match event {
            Event::Start(start) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(XmlError { offset, message: format!("elements nested deeper than {MAX_DEPTH} levels") });
                }
                stack.push(element(&start, offset)?);
            }
            Event::Empty(start) => {
                let element = element(&start, offset)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(element),
                    None => set_root(&mut root, element, offset)?,
                }
            }
            Event::End(_) => {
                let Some(element) = stack.pop() else {
                    return Err(XmlError { offset, message: "closing tag without an opening one".to_owned() });
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(element),
                    None => set_root(&mut root, element, offset)?,
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if let Some(open) = stack.last() {
        return Err(XmlError { offset: open.offset, message: format!("element <{}> is never closed", open.name) });
    }
    root.ok_or(XmlError { offset: 0, message: "no root element (the file holds no XML element)".to_owned() })
}

fn set_root(root: &mut Option<Element>, element: Element, offset: usize) -> Result<(), XmlError> {
    if root.is_some() {
        return Err(XmlError { offset, message: "a second root element (expected one)".to_owned() });
    }
    *root = Some(element);
    Ok(())
}

fn element(start: &BytesStart<'_>, offset: usize) -> Result<Element, XmlError> {
    let name = start.name().as_ref().to_owned();
    let mut attributes = Vec::new();
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|error| XmlError { offset, message: format!("in <{name}>: {error}") })?;
        let key = attribute.key.as_ref().to_owned();
        let value = attribute
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|error| XmlError { offset, message: format!("in <{name}> attribute `{key}`: {error}") })?;
        attributes.push((key, value.into_owned()));
    }
    Ok(Element { name, attributes, children: Vec::new(), offset })
}

/// Text made safe for XML (and SVG) content and attribute values.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_a_tree_and_reports_errors_with_offsets() {
        let root = parse("<a x=\"1\"><b y='&lt;2'/><c></c></a>").unwrap();
        assert_eq!(root.name, "a");
        assert_eq!(root.attribute("x"), Some("1"));
        assert_eq!(root.children[0].attribute("y"), Some("<2"));
        assert_eq!(root.children[1].name, "c");
        assert!(parse("<a><b></a>").is_err());
        assert!(parse("<a>").unwrap_err().message.contains("never closed"));
        assert!(parse("").is_err());
        assert!(parse("<a/><b/>").is_err());
    }
}
