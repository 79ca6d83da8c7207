//! A richer service: a POJO with a nested POJO, a list, a map and optional fields.

use std::collections::HashMap;

use dubbo_rpc::RpcError;
use serde::{Deserialize, Serialize};

/// Java: `org.example.user.Address`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, dubbo_rpc::JavaType)]
#[serde(rename = "org.example.user.Address")]
pub struct Address {
    /// Street and number.
    pub street: String,
    /// City.
    pub city: String,
}

/// Java: `org.example.user.User`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, dubbo_rpc::JavaType)]
#[serde(rename = "org.example.user.User", rename_all = "camelCase")]
pub struct User {
    /// Java `long id`.
    pub id: i64,
    /// Java `String name`.
    pub name: String,
    /// Java `Address address` (nullable).
    pub address: Option<Address>,
    /// Java `List<String> tags`.
    pub tags: Vec<String>,
    /// Java `Map<String, String> attributes`.
    pub attributes: HashMap<String, String>,
    /// Java `String nickname` (nullable).
    pub nickname: Option<String>,
}

/// Java: `org.example.user.UserService`.
#[dubbo_rpc::service(interface = "org.example.user.UserService", version = "1.0.0")]
pub trait UserService {
    /// Java: `User getUser(long id)`.
    async fn get_user(&self, id: i64) -> Result<User, RpcError>;
    /// Java: `User saveUser(User user)`: returns the user with an id assigned.
    async fn save_user(&self, user: User) -> Result<User, RpcError>;
}

/// An in-memory user store.
#[derive(Debug, Default)]
pub struct UserStore {
    users: std::sync::Mutex<HashMap<i64, User>>,
}

#[dubbo_rpc::async_trait]
impl UserService for UserStore {
    async fn get_user(&self, id: i64) -> Result<User, RpcError> {
        self.users
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&id)
            .cloned()
            .ok_or_else(|| RpcError::application(format!("no user with id {id}")))
    }

    async fn save_user(&self, mut user: User) -> Result<User, RpcError> {
        let mut users = self.users.lock().unwrap_or_else(|e| e.into_inner());
        if user.id == 0 {
            user.id = users.len() as i64 + 1;
        }
        users.insert(user.id, user.clone());
        Ok(user)
    }
}
