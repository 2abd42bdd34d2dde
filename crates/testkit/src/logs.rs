//! An in-memory sink for tests that read what `tracing` logged.

use std::io::Write;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// What a test's subscriber wrote, kept in memory. Clones share the buffer: hand one to
/// the subscriber (`with_writer(move || logs.clone())`) and read the text from another.
#[derive(Clone, Debug, Default)]
pub struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl LogBuffer {
    fn bytes(&self) -> MutexGuard<'_, Vec<u8>> {
        // A test that panicked while writing leaves what it wrote readable.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Everything written so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes()).into_owned()
    }

    /// The lines written so far that contain `needle`.
    pub fn lines_with(&self, needle: &str) -> Vec<String> {
        self.text()
            .lines()
            .filter(|l| l.contains(needle))
            .map(str::to_owned)
            .collect()
    }
}

impl Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.bytes().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_what_was_written() {
        let logs = LogBuffer::default();
        let mut writer = logs.clone();
        writer.write_all(b"one line\nanother one\n").unwrap();
        assert_eq!(logs.text(), "one line\nanother one\n");
        assert_eq!(logs.lines_with("other"), ["another one"]);
    }
}
