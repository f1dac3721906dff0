//! The server's log lines on standard error, written in batches by one thread: under load, one
//! `write` carries every line formatted since the last, instead of one per request (each a system
//! call, and all request threads taking turns at standard error's lock); on an idle server a line
//! goes out as soon as the writer wakes. The lines keep their order.
//!
//! A line is in memory between its request and the writer's next `write`: [`Flush`], dropped when
//! `serve` returns whatever the reason, waits until all are written, so a graceful shutdown loses
//! none. A process killed outright loses those still queued (microseconds' worth, none of them a
//! record: the record is the database's).

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, PoisonError};

use tracing_subscriber::fmt::MakeWriter;

#[derive(Debug, Default)]
struct Queue {
    /// Lines formatted and not yet handed to the writer.
    lines: Vec<u8>,
    /// Whether the writer is writing lines it took.
    writing: bool,
}

#[derive(Debug, Default)]
struct Shared {
    queue: Mutex<Queue>,
    /// Lines have arrived (the writer waits on it).
    arrived: Condvar,
    /// The writer has written all it took (a flush waits on it).
    written: Condvar,
}

/// Where the log goes: a queue that one thread writes to standard error.
#[derive(Clone, Debug)]
pub struct BatchedStderr {
    shared: Arc<Shared>,
}

/// Waits, when dropped, until every line logged before is written.
#[derive(Debug)]
pub struct Flush {
    shared: Arc<Shared>,
}

impl BatchedStderr {
    /// Starts the writer thread; `None` when no thread can be started (then log to standard
    /// error directly).
    pub fn start() -> Option<(BatchedStderr, Flush)> {
        let shared = Arc::new(Shared::default());
        let writer = Arc::clone(&shared);
        std::thread::Builder::new().name("log-writer".into()).spawn(move || write_forever(&writer)).ok()?;
        Some((BatchedStderr { shared: Arc::clone(&shared) }, Flush { shared }))
    }

    fn push(&self, line: &[u8]) {
        if line.is_empty() {
            return;
        }
        let mut queue = self.shared.queue.lock().unwrap_or_else(PoisonError::into_inner);
        let was_empty = queue.lines.is_empty();
        queue.lines.extend_from_slice(line);
        drop(queue);
        if was_empty {
            self.shared.arrived.notify_one();
        }
    }
}

/// The writer: takes everything queued, writes it in one go, and again (a failed write to
/// standard error is dropped, as `eprintln!` would not be: the server goes on).
fn write_forever(shared: &Shared) {
    let mut taken = Vec::new();
    loop {
        {
            let mut queue = shared.queue.lock().unwrap_or_else(PoisonError::into_inner);
            queue.writing = false;
            shared.written.notify_all();
            while queue.lines.is_empty() {
                queue = shared.arrived.wait(queue).unwrap_or_else(PoisonError::into_inner);
            }
            std::mem::swap(&mut queue.lines, &mut taken);
            queue.writing = true;
        }
        let _ = std::io::stderr().lock().write_all(&taken);
        taken.clear();
    }
}

impl Drop for Flush {
    fn drop(&mut self) {
        let mut queue = self.shared.queue.lock().unwrap_or_else(PoisonError::into_inner);
        while !queue.lines.is_empty() || queue.writing {
            queue = self.shared.written.wait(queue).unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// One event's line, queued whole when the formatter is done with it.
#[derive(Debug)]
pub struct Line<'a> {
    to: &'a BatchedStderr,
    buffer: Vec<u8>,
}

impl Write for Line<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for Line<'_> {
    fn drop(&mut self) {
        self.to.push(&self.buffer);
    }
}

impl<'a> MakeWriter<'a> for BatchedStderr {
    type Writer = Line<'a>;

    fn make_writer(&'a self) -> Line<'a> {
        Line { to: self, buffer: Vec::with_capacity(256) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines pushed from many threads come out whole, each once, and a flush returns only once
    /// all are written (here into the queue's taker; standard error itself is the test's).
    #[test]
    fn a_flush_waits_for_every_line_before_it() {
        let (writer, flush) = BatchedStderr::start().unwrap();
        std::thread::scope(|scope| {
            for thread in 0..4 {
                let writer = writer.clone();
                scope.spawn(move || {
                    for line in 0..500 {
                        let mut out = writer.make_writer();
                        writeln!(out, "log test {thread} {line}").unwrap();
                    }
                });
            }
        });
        drop(flush);
        let queue = writer.shared.queue.lock().unwrap();
        assert!(queue.lines.is_empty() && !queue.writing);
    }
}
