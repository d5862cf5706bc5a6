//! The one error type of the crate: which report file could not be rendered, and why.

use std::error::Error;
use std::fmt;

/// A report file that could not be rendered.
#[derive(Debug)]
pub struct RenderError {
    /// The file being rendered, e.g. `latency.png`.
    file: String,
    kind: ErrorKind,
}

#[derive(Debug)]
enum ErrorKind {
    /// The bundled font did not load: a broken build, not bad input.
    Font,
    /// plotters refused to draw; its message (its error type is generic over the backend).
    Draw(String),
    Png(png::EncodingError),
    Json(serde_json::Error),
    /// A chart id that cannot be a file name of the report folder.
    ChartId {
        id: String,
        problem: &'static str,
    },
}

impl RenderError {
    /// The report file (relative to the report folder) that failed.
    pub fn file(&self) -> &str {
        &self.file
    }

    pub(crate) fn font(file: String) -> RenderError {
        RenderError { file, kind: ErrorKind::Font }
    }

    pub(crate) fn draw(file: String, message: impl fmt::Display) -> RenderError {
        RenderError { file, kind: ErrorKind::Draw(message.to_string()) }
    }

    pub(crate) fn png(file: String, source: png::EncodingError) -> RenderError {
        RenderError { file, kind: ErrorKind::Png(source) }
    }

    pub(crate) fn json(file: &str, source: serde_json::Error) -> RenderError {
        RenderError { file: file.to_owned(), kind: ErrorKind::Json(source) }
    }

    pub(crate) fn chart_id(id: &str, problem: &'static str) -> RenderError {
        RenderError {
            file: format!("{id}.svg"),
            kind: ErrorKind::ChartId { id: id.to_owned(), problem },
        }
    }
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot render {}: ", self.file)?;
        match &self.kind {
            ErrorKind::Font => write!(f, "the bundled font DejaVuSans.ttf did not load"),
            ErrorKind::Draw(message) => write!(f, "drawing failed: {message}"),
            ErrorKind::Png(source) => write!(f, "PNG encoding failed: {source}"),
            ErrorKind::Json(source) => write!(f, "JSON encoding failed: {source}"),
            ErrorKind::ChartId { id, problem } => write!(f, "the chart id {id:?} {problem}"),
        }
    }
}

impl Error for RenderError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match &self.kind {
            ErrorKind::Png(source) => Some(source),
            ErrorKind::Json(source) => Some(source),
            ErrorKind::Font | ErrorKind::Draw(_) | ErrorKind::ChartId { .. } => None,
        }
    }
}
