//! GraphQL `ID`s to typed ids. A malformed id reads as "not found", like any id out of reach.

use async_graphql::ID;

use crate::error::{Error, Result};

pub fn parse<T: std::str::FromStr>(id: &ID) -> Result<T> {
    id.parse::<T>().map_err(|_| Error::NotFound)
}

pub fn to_id(id: impl std::fmt::Display) -> ID {
    ID(id.to_string())
}
