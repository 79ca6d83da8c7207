//! One encoding buffer per thread, reused from frame to frame: the consumer encodes each
//! request in it before copying the frame to the connection's outbox, the provider each reply
//! before cutting its body out; neither allocates a buffer per call.

use std::cell::RefCell;

/// A scratch buffer grown past this by one large frame is given back after use.
const KEEP_SCRATCH: usize = 64 * 1024;

thread_local! {
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Runs `encode` on the thread's scratch buffer, emptied first (or on a new buffer, should
/// an encoder reach here again from inside `encode`).
pub(crate) fn with_scratch<R>(encode: impl FnOnce(&mut Vec<u8>) -> R) -> R {
    SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
        Ok(mut buf) => {
            buf.clear();
            let result = encode(&mut buf);
            if buf.capacity() > KEEP_SCRATCH {
                *buf = Vec::new();
            }
            result
        }
        Err(_) => encode(&mut Vec::new()),
    })
}
