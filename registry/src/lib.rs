//! ZooKeeper registry for dubbo-rpc.
