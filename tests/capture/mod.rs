//! `tracing` output of one thread, in a test binary whose other tests run
//! on other threads at the same time.
//!
//! A scoped subscriber (`set_default`) races with the process-wide cache of
//! which callsites are wanted: another test, on a thread with no subscriber,
//! can mark a callsite as never wanted just before this one needs it. So the
//! subscriber is global, installed once, and its writer keeps only what the
//! capturing thread writes.

use std::cell::RefCell;
use std::sync::{Arc, Mutex, Once};

thread_local! {
    static CAPTURE: RefCell<Option<Arc<Mutex<Vec<u8>>>>> = const { RefCell::new(None) };
}

struct ThreadSink;

impl std::io::Write for ThreadSink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        CAPTURE.with(|capture| {
            if let Some(sink) = &*capture.borrow() {
                sink.lock().unwrap().extend_from_slice(bytes);
            }
        });
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs `f` on this thread and returns what it traced at TRACE level, span
/// closes included, without times or colours.
pub fn traced<T>(f: impl FnOnce() -> T) -> (T, String) {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
            .with_ansi(false)
            .without_time()
            .with_writer(|| ThreadSink)
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("no other global subscriber");
    });
    let sink = Arc::new(Mutex::new(Vec::new()));
    CAPTURE.with(|capture| *capture.borrow_mut() = Some(sink.clone()));
    let value = f();
    CAPTURE.with(|capture| *capture.borrow_mut() = None);
    let bytes = sink.lock().unwrap().clone();
    (value, String::from_utf8(bytes).unwrap())
}
