//! Consumer middleware as tower layers.
//!
//! | layer | what it does |
//! | --- | --- |
//! | [`AttachmentsLayer`] | adds the attachments every Java consumer sends (`path`, `interface`, `version`, `group`, `remote.application`) |
//! | [`TimeoutLayer`] | sets each attempt's effective timeout, which the connection enforces and the invoker sends as the `timeout` attachment |

mod attachments;
mod timeout;

pub use self::attachments::{Attachments as AttachmentsService, AttachmentsLayer};
pub use self::timeout::{Timeout, TimeoutLayer};

use std::future::Future;
use std::pin::Pin;

/// The boxed future consumer services return.
pub type ResponseFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;
