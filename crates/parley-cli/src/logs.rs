//! The server's log lines on standard error, written in batches by one thread: under load, one
//! `write` carries every line formatted since the last, instead of one per request (each a system
//! call, and all request threads taking turns at standard error's lock); on an idle server a line
//! goes out as soon as the writer wakes. The lines keep their order.
//!
//! After each `write` the writer pauses for [`PAUSE`] before it takes the next lines, and a
//! request wakes it only when it waits for lines (none were queued when it looked): waking it for
//! each line, as soon as the last was written, cost a system call and a switch to the writer per
//! request. Under load it thus writes [`PAUSE`] apart, never woken; idle, it writes a line at once.
//!
//! A line is in memory between its request and the writer's next `write`: [`Flush`], dropped when
//! `serve` returns whatever the reason, waits until all are written, so a graceful shutdown loses
//! none. A process killed outright loses those still queued (at most about [`PAUSE`]'s worth
//! under load, none of them a record: the record is the database's). The queue holds at most
//! [`QUEUE_LIMIT`] bytes: past it, a request waits for the writer as it waited for standard error
//! before (a stalled standard error slows the server down; it does not fill its memory).

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, PoisonError};

use tracing_subscriber::fmt::MakeWriter;

/// The most bytes of lines queued before a request waits for the writer.
const QUEUE_LIMIT: usize = 1 << 20;

/// How long the writer lets lines gather after a `write`.
const PAUSE: std::time::Duration = std::time::Duration::from_millis(1);

#[derive(Debug, Default)]
struct Queue {
    /// Lines formatted and not yet handed to the writer.
    lines: Vec<u8>,
    /// Whether the writer is writing lines it took (or pausing after them).
    writing: bool,
    /// Whether the writer waits for lines to arrive (and must be woken for them).
    waiting: bool,
}

#[derive(Debug, Default)]
struct Shared {
    queue: Mutex<Queue>,
    /// Lines have arrived (the writer waits on it).
    arrived: Condvar,
    /// The writer has written all it took (a flush, or a line past the limit, waits on it).
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
        BatchedStderr::start_with(std::io::stderr())
    }

    /// As [`BatchedStderr::start`], writing to `sink`.
    fn start_with(mut sink: impl Write + Send + 'static) -> Option<(BatchedStderr, Flush)> {
        let shared = Arc::new(Shared::default());
        let writer = Arc::clone(&shared);
        std::thread::Builder::new().name("log-writer".into()).spawn(move || write_forever(&writer, &mut sink)).ok()?;
        Some((BatchedStderr { shared: Arc::clone(&shared) }, Flush { shared }))
    }

    fn push(&self, line: &[u8]) {
        if line.is_empty() {
            return;
        }
        let mut queue = self.shared.queue.lock().unwrap_or_else(PoisonError::into_inner);
        while queue.lines.len() >= QUEUE_LIMIT {
            queue = self.shared.written.wait(queue).unwrap_or_else(PoisonError::into_inner);
        }
        queue.lines.extend_from_slice(line);
        let wake = std::mem::take(&mut queue.waiting);
        drop(queue);
        if wake {
            self.shared.arrived.notify_one();
        }
    }
}

/// The writer: takes everything queued, writes it in one go, pauses, and again (a failed write
/// to standard error is dropped, as `eprintln!` would not be: the server goes on).
fn write_forever(shared: &Shared, sink: &mut dyn Write) {
    let mut taken = Vec::new();
    loop {
        {
            let mut queue = shared.queue.lock().unwrap_or_else(PoisonError::into_inner);
            queue.writing = false;
            shared.written.notify_all();
            while queue.lines.is_empty() {
                queue.waiting = true;
                queue = shared.arrived.wait(queue).unwrap_or_else(PoisonError::into_inner);
            }
            queue.waiting = false;
            std::mem::swap(&mut queue.lines, &mut taken);
            queue.writing = true;
        }
        let _ = sink.write_all(&taken).and_then(|()| sink.flush());
        taken.clear();
        std::thread::sleep(PAUSE);
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
    use std::sync::mpsc;

    use super::*;

    /// A sink the test reads back, optionally held until told to go on.
    #[derive(Clone)]
    struct Sink {
        written: Arc<Mutex<Vec<u8>>>,
    }

    impl Write for Sink {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.written.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Lines logged from several threads at once come out whole, each once, each thread's in
    /// its order, all of them written once the flush returns.
    #[test]
    fn lines_come_out_whole_once_and_in_order_by_the_flush() {
        let sink = Sink { written: Arc::default() };
        let (writer, flush) = BatchedStderr::start_with(sink.clone()).unwrap();
        std::thread::scope(|scope| {
            for thread in 0..4 {
                let writer = writer.clone();
                scope.spawn(move || {
                    for line in 0..500 {
                        let mut out = writer.make_writer();
                        // A line in two writes, as the formatter may write it.
                        write!(out, "thread {thread} ").unwrap();
                        writeln!(out, "line {line}").unwrap();
                    }
                });
            }
        });
        drop(flush);
        let written = String::from_utf8(sink.written.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = written.lines().collect();
        assert_eq!(lines.len(), 2000);
        for thread in 0..4 {
            let own: Vec<&str> = lines.iter().copied().filter(|line| line.starts_with(&format!("thread {thread} "))).collect();
            let expected: Vec<String> = (0..500).map(|line| format!("thread {thread} line {line}")).collect();
            assert_eq!(own, expected);
        }
    }

    /// On an idle server a line goes out without a flush: the writer, waiting, is woken for it
    /// (and again for a line after its pause).
    #[test]
    fn an_idle_writer_is_woken_for_a_line() {
        let sink = Sink { written: Arc::default() };
        let (writer, flush) = BatchedStderr::start_with(sink.clone()).unwrap();
        // Not dropped: with the wake broken, a flush would wait for ever instead of the test
        // failing at its deadline.
        std::mem::forget(flush);
        for (round, line) in ["first\n", "second\n"].into_iter().enumerate() {
            // Wait until the writer waits for lines, so that only a wake can take this one.
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            while !writer.shared.queue.lock().unwrap().waiting {
                assert!(std::time::Instant::now() < deadline, "the writer never waited");
                std::thread::yield_now();
            }
            writer.push(line.as_bytes());
            while sink.written.lock().unwrap().iter().filter(|&&byte| byte == b'\n').count() <= round {
                assert!(std::time::Instant::now() < deadline, "the line was not written without a flush");
                std::thread::yield_now();
            }
        }
        assert_eq!(sink.written.lock().unwrap().as_slice(), b"first\nsecond\n");
    }

    /// A sink that waits for a go-ahead before each write.
    struct Held {
        go: mpsc::Receiver<()>,
        inner: Sink,
    }

    impl Write for Held {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            let _ = self.go.recv();
            self.inner.write(bytes)
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// With the sink stalled, the queue stops at its limit: a line past it waits for the writer
    /// instead of growing memory, and a flush waits for the sink.
    #[test]
    fn a_stalled_sink_bounds_the_queue_and_holds_the_flush() {
        let (go, held) = mpsc::channel();
        let sink = Sink { written: Arc::default() };
        let (writer, flush) = BatchedStderr::start_with(Held { go: held, inner: sink.clone() }).unwrap();
        let line = vec![b'x'; 1024];
        // The first line is taken by the writer, which then waits on the sink.
        writer.push(&line);
        while !writer.shared.queue.lock().unwrap().writing {
            std::thread::yield_now();
        }
        let (done, finished) = mpsc::channel();
        let pusher = {
            let writer = writer.clone();
            let line = line.clone();
            std::thread::spawn(move || {
                for _ in 0..QUEUE_LIMIT / line.len() + 8 {
                    writer.push(&line);
                }
                done.send(()).unwrap();
            })
        };
        // The pusher fills the queue to its limit and waits there.
        while writer.shared.queue.lock().unwrap().lines.len() < QUEUE_LIMIT {
            std::thread::yield_now();
        }
        assert!(finished.recv_timeout(std::time::Duration::from_millis(200)).is_err(), "a line past the limit was queued");
        assert!(writer.shared.queue.lock().unwrap().lines.len() <= QUEUE_LIMIT);
        let flushing = std::thread::spawn(move || drop(flush));
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert!(!flushing.is_finished(), "the flush returned before the sink wrote");
        // Let every write through.
        for _ in 0..64 {
            let _ = go.send(());
        }
        drop(go);
        pusher.join().unwrap();
        finished.recv().unwrap();
        flushing.join().unwrap();
        assert_eq!(sink.written.lock().unwrap().len(), (QUEUE_LIMIT / line.len() + 9) * line.len());
    }
}
