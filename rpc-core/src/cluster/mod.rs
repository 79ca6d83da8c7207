//! Cluster: the directory of providers, load balancing and fault tolerance.
//!
//! A consumer call runs through, outer to inner:
//!
//! ```text
//! Cluster (failover, failfast, …) → Balance (directory + load balancer) → Timeout → Invoke
//! ```
//!
//! so every attempt picks a provider afresh and gets the whole timeout.

pub mod balance;
pub mod directory;
pub mod invoker;
pub mod loadbalance;
pub mod mode;

pub use self::balance::{Balance, Invoke};
pub use self::directory::Directory;
pub use self::invoker::Invoker;
pub use self::mode::Cluster;
