//! Where the `log` records of storydesk's dependencies go: into `tracing`, as events of the
//! subscriber `cli::init_logging` installs, except sled's debug and trace records.
//!
//! Why those are left out: sled logs at trace level from closures it hands to its memory
//! reclamation (crossbeam-epoch), and such a closure may run while a thread is ending, after
//! that thread's `tracing` formatting buffer is gone. An event then panics inside a
//! thread-local destructor, which aborts the process: with `RUST_LOG=trace` a `serve` whose
//! idle blocking thread ended could stop at once. sled's warnings and errors still come
//! through.

use tracing_log::AsTrace;

/// The `log` facade's logger: forwards each enabled record to `tracing`.
struct Bridge;

/// True when a record of `target` at `level` goes on to `tracing`, the subscriber's own
/// filter aside.
pub fn forwarded(target: &str, level: log::Level) -> bool {
    let sled = target == "sled" || target.starts_with("sled::");
    !(sled && level > log::Level::Info)
}

impl log::Log for Bridge {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        forwarded(metadata.target(), metadata.level())
            && metadata.level().as_trace() <= tracing::level_filters::LevelFilter::current()
    }

    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            // Never fails: the result is there for the signature's sake.
            let _ = tracing_log::format_trace(record);
        }
    }

    fn flush(&self) {}
}

/// Sends the `log` records of the dependencies to `tracing` (see the module's text). Call it
/// once, after installing the subscriber; a second call, or a logger installed by someone
/// else, leaves the first in place.
pub fn bridge() {
    if log::set_boxed_logger(Box::new(Bridge)).is_ok() {
        log::set_max_level(log::LevelFilter::Trace);
    }
}

#[cfg(test)]
mod tests {
    use super::forwarded;
    use log::Level;

    #[test]
    fn sleds_debug_and_trace_records_stay_out_and_its_warnings_come_through() {
        assert!(!forwarded("sled::pagecache::iobuf", Level::Trace));
        assert!(!forwarded("sled", Level::Debug));
        assert!(forwarded("sled::pagecache", Level::Warn));
        assert!(forwarded("sled", Level::Error));
        assert!(forwarded("sled", Level::Info));
        assert!(forwarded("reqwest::connect", Level::Trace));
        assert!(forwarded("sledge", Level::Trace));
    }

    #[test]
    fn the_bridge_refuses_sleds_trace_records_whatever_the_subscriber_wants() {
        use log::Log;
        let trace = log::Metadata::builder()
            .target("sled::pagecache::iobuf")
            .level(Level::Trace)
            .build();
        let other = log::Metadata::builder()
            .target("reqwest::connect")
            .level(Level::Trace)
            .build();
        let everything = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(std::io::sink)
            .finish();
        tracing::subscriber::with_default(everything, || {
            assert!(super::Bridge.enabled(&other));
            assert!(!super::Bridge.enabled(&trace));
        });
    }
}
