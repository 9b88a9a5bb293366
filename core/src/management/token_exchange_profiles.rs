//! Token exchange profiles (`/api/v2/token-exchange-profiles`): which Action validates which
//! `subject_token_type` in Custom Token Exchange.

use serde::{Deserialize, Serialize};

use super::{ManagementClient, ManagementError, segment};
use crate::custom_token_exchange::custom_subject_token_type;

/// The name a profile gets when none is given.
pub const DEFAULT_PROFILE_NAME: &str = "Token Exchange Profile 1";

/// The profile `type`. The API knows one: `custom_authentication`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenExchangeProfileType {
    /// The Action sets the user from the subject token.
    #[default]
    CustomAuthentication,
}

impl TokenExchangeProfileType {
    /// The API value.
    pub fn as_str(self) -> &'static str {
        "custom_authentication"
    }

    /// Parses the API value; anything else is refused (the API's enum has one member).
    pub fn parse(value: &str) -> Result<Self, ManagementError> {
        match value {
            "custom_authentication" => Ok(Self::CustomAuthentication),
            _ => Err(ManagementError::invalid("type", "must be `custom_authentication`")),
        }
    }
}

/// A token exchange profile.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TokenExchangeProfile {
    /// Its id.
    pub id: String,
    /// Friendly name.
    pub name: String,
    /// The `subject_token_type` it handles.
    pub subject_token_type: String,
    /// The Action that validates the subject token.
    pub action_id: String,
    /// The profile type (as the API sent it).
    #[serde(rename = "type")]
    pub profile_type: String,
    /// Creation time (ISO 8601).
    pub created_at: String,
    /// Last update time (ISO 8601).
    pub updated_at: String,
}

/// `POST /api/v2/token-exchange-profiles`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewTokenExchangeProfile {
    /// 3 to 50 characters; default [`DEFAULT_PROFILE_NAME`].
    pub name: String,
    /// A URI of 8 to 100 characters outside the reserved namespaces.
    pub subject_token_type: String,
    /// 1 to 36 characters: an Action of the `custom-token-exchange` trigger.
    pub action_id: String,
    /// The profile type.
    #[serde(rename = "type")]
    pub profile_type: TokenExchangeProfileType,
}

impl NewTokenExchangeProfile {
    /// A profile with the default name and type.
    pub fn new(subject_token_type: impl Into<String>, action_id: impl Into<String>) -> Self {
        NewTokenExchangeProfile {
            name: DEFAULT_PROFILE_NAME.to_owned(),
            subject_token_type: subject_token_type.into(),
            action_id: action_id.into(),
            profile_type: TokenExchangeProfileType::CustomAuthentication,
        }
    }

    /// Sets the name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    fn validate(&self) -> Result<(), ManagementError> {
        validate_name(&self.name)?;
        validate_subject_token_type(&self.subject_token_type)?;
        length("action_id", &self.action_id, 1, 36)
    }
}

/// `PATCH /api/v2/token-exchange-profiles/{id}`: only the name and the subject token type
/// can change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TokenExchangeProfileUpdate {
    /// A new name (3 to 50 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A new subject token type (a URI of 8 to 100 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject_token_type: Option<String>,
}

/// One page of `GET /api/v2/token-exchange-profiles` (checkpoint pagination).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TokenExchangeProfilePage {
    /// The profiles of this page.
    pub token_exchange_profiles: Vec<TokenExchangeProfile>,
    /// Pass as `from` to get the next page; `None` on the last page.
    #[serde(default)]
    pub next: Option<String>,
}

fn length(field: &'static str, value: &str, min: usize, max: usize) -> Result<(), ManagementError> {
    let n = value.chars().count();
    if n < min || n > max {
        return Err(ManagementError::invalid(
            field,
            format!("must be {min} to {max} characters long (it is {n})"),
        ));
    }
    Ok(())
}

fn validate_name(name: &str) -> Result<(), ManagementError> {
    length("name", name, 3, 50)
}

fn validate_subject_token_type(uri: &str) -> Result<(), ManagementError> {
    length("subject_token_type", uri, 8, 100)?;
    custom_subject_token_type("subject_token_type", uri).map_err(ManagementError::from)
}

impl ManagementClient {
    /// Creates a token exchange profile.
    pub async fn create_token_exchange_profile(
        &self,
        profile: &NewTokenExchangeProfile,
    ) -> Result<TokenExchangeProfile, ManagementError> {
        profile.validate()?;
        self.call_json("POST", "token-exchange-profiles", &[], Some(profile))
            .await
    }

    /// Lists profiles, `take` (1 to 100, default 50) at a time, starting after the `from`
    /// checkpoint of a previous page.
    pub async fn list_token_exchange_profiles(
        &self,
        from: Option<&str>,
        take: Option<u32>,
    ) -> Result<TokenExchangeProfilePage, ManagementError> {
        let mut query = Vec::new();
        if let Some(from) = from {
            if from.is_empty() {
                return Err(ManagementError::invalid("from", "is empty"));
            }
            query.push(("from", from.to_owned()));
        }
        if let Some(take) = take {
            if !(1..=100).contains(&take) {
                return Err(ManagementError::invalid("take", "must be between 1 and 100"));
            }
            query.push(("take", take.to_string()));
        }
        self.call_json("GET", "token-exchange-profiles", &query, None::<&()>)
            .await
    }

    /// Gets one profile.
    pub async fn get_token_exchange_profile(&self, id: &str) -> Result<TokenExchangeProfile, ManagementError> {
        let path = format!("token-exchange-profiles/{}", segment(id, "id")?);
        self.call_json("GET", &path, &[], None::<&()>).await
    }

    /// Changes a profile's name and/or subject token type.
    pub async fn update_token_exchange_profile(
        &self,
        id: &str,
        update: &TokenExchangeProfileUpdate,
    ) -> Result<(), ManagementError> {
        if update.name.is_none() && update.subject_token_type.is_none() {
            return Err(ManagementError::invalid(
                "name",
                "nothing to update: set a name or a subject_token_type",
            ));
        }
        if let Some(name) = &update.name {
            validate_name(name)?;
        }
        if let Some(t) = &update.subject_token_type {
            validate_subject_token_type(t)?;
        }
        let path = format!("token-exchange-profiles/{}", segment(id, "id")?);
        self.call("PATCH", &path, &[], Some(update)).await.map(|_| ())
    }

    /// Deletes a profile.
    pub async fn delete_token_exchange_profile(&self, id: &str) -> Result<(), ManagementError> {
        let path = format!("token-exchange-profiles/{}", segment(id, "id")?);
        self.call("DELETE", &path, &[], None::<&()>).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(p: &NewTokenExchangeProfile) -> &'static str {
        match p.validate() {
            Err(ManagementError::InvalidInput { field, .. }) => field,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn boundaries_match_the_reference() {
        let ok = NewTokenExchangeProfile::new("urn:acme:google", "act_1");
        assert!(ok.validate().is_ok());
        assert_eq!(ok.name, "Token Exchange Profile 1");
        assert_eq!(field(&ok.clone().name("ab")), "name");
        assert!(ok.clone().name("abc").validate().is_ok());
        assert!(ok.clone().name("a".repeat(50)).validate().is_ok());
        assert_eq!(field(&ok.clone().name("a".repeat(51))), "name");
        // Characters, not bytes.
        assert!(ok.clone().name("é".repeat(50)).validate().is_ok());
        assert_eq!(
            field(&NewTokenExchangeProfile::new("urn:a:b", "a")),
            "subject_token_type"
        ); // 7
        assert!(NewTokenExchangeProfile::new("urn:a:bc", "a").validate().is_ok()); // 8
        let uri100 = format!("https://e.example/{}", "p".repeat(100 - 18));
        assert_eq!(uri100.len(), 100);
        assert!(NewTokenExchangeProfile::new(uri100.clone(), "a").validate().is_ok());
        assert_eq!(
            field(&NewTokenExchangeProfile::new(format!("{uri100}p"), "a")),
            "subject_token_type"
        );
        assert_eq!(
            field(&NewTokenExchangeProfile::new("not a uri at all", "a")),
            "subject_token_type"
        );
        assert!(
            NewTokenExchangeProfile::new("urn:acme:google", "a".repeat(36))
                .validate()
                .is_ok()
        );
        assert_eq!(
            field(&NewTokenExchangeProfile::new("urn:acme:google", "a".repeat(37))),
            "action_id"
        );
        assert_eq!(field(&NewTokenExchangeProfile::new("urn:acme:google", "")), "action_id");
        assert!(TokenExchangeProfileType::parse("custom_authentication").is_ok());
        assert!(matches!(
            TokenExchangeProfileType::parse("custom"),
            Err(ManagementError::InvalidInput { field: "type", .. })
        ));
    }

    #[test]
    fn serialises_as_the_api_expects() {
        let json = serde_json::to_value(NewTokenExchangeProfile::new("urn:acme:google", "act_1")).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"name":"Token Exchange Profile 1","subject_token_type":"urn:acme:google","action_id":"act_1","type":"custom_authentication"})
        );
    }
}
