//! Benchmark harness of dubbo-rpc.
