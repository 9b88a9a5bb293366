//! The public error of the Management API client.

use std::fmt;
use std::time::Duration;

use crate::error::{Error, NetworkErrorKind, ResponseProblem, RetryAfterNote};

/// Everything that can go wrong calling the Management API.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ManagementError {
    /// An argument is unusable (checked as the API documents it). Nothing was sent.
    #[error("invalid {field}: {problem}")]
    InvalidInput {
        /// The field at fault, named as in the API (`name`, `subject_token_type`...).
        field: &'static str,
        /// Why.
        problem: String,
    },
    /// The API refused the request (`statusCode`, `error`, `message`, `errorCode`).
    #[error(transparent)]
    Api(Box<ApiError>),
    /// A management token could not be obtained with the client credentials grant.
    #[error("could not obtain a Management API token: {0}")]
    Authentication(Box<Error>),
    /// The client has no HTTP transport (see [`Error::TransportUnavailable`]). Nothing was
    /// sent.
    #[error("no HTTP transport: {problem}")]
    TransportUnavailable {
        /// What is missing.
        problem: &'static str,
    },
    /// The request failed on the network.
    #[error("network error: {kind}")]
    Network {
        /// What failed.
        kind: NetworkErrorKind,
        /// `false` when the request certainly never left.
        request_may_have_reached_server: bool,
    },
    /// The request timed out.
    #[error("request timed out")]
    Timeout {
        /// `false` when the timeout hit while connecting.
        request_may_have_reached_server: bool,
    },
    /// The caller cancelled the request.
    #[error("request cancelled")]
    Cancelled,
    /// The response could not be used.
    #[error("unexpected response (HTTP {status}): {problem}{}", RetryAfterNote(*retry_after))]
    UnexpectedResponse {
        /// HTTP status.
        status: u16,
        /// What was wrong.
        problem: ResponseProblem,
        /// `Retry-After`, if sent.
        retry_after: Option<Duration>,
    },
}

impl ManagementError {
    pub(crate) fn invalid(field: &'static str, problem: impl Into<String>) -> Self {
        ManagementError::InvalidInput {
            field,
            problem: problem.into(),
        }
    }

    /// The API error, if the server sent one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            ManagementError::Api(e) => Some(e),
            _ => None,
        }
    }

    /// Whether the same request may succeed later (network, timeout, 429, 5xx).
    pub fn is_retryable(&self) -> bool {
        match self {
            ManagementError::Api(e) => e.is_rate_limited() || e.status >= 500,
            ManagementError::Network { .. } | ManagementError::Timeout { .. } => true,
            ManagementError::UnexpectedResponse { status, .. } => *status == 429 || *status >= 500,
            ManagementError::Authentication(e) => e.is_retryable(),
            _ => false,
        }
    }

    /// `Retry-After`, when the server sent one (whole seconds, at most 24 hours).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ManagementError::Api(e) => e.retry_after,
            ManagementError::UnexpectedResponse { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// The one conversion from the transport and token errors shared with the authentication API.
impl From<Error> for ManagementError {
    fn from(e: Error) -> Self {
        match e {
            Error::InvalidInput { field, problem } => ManagementError::InvalidInput { field, problem },
            Error::TransportUnavailable { problem } => ManagementError::TransportUnavailable { problem },
            Error::Network {
                kind,
                request_may_have_reached_server,
            } => ManagementError::Network {
                kind,
                request_may_have_reached_server,
            },
            Error::Timeout {
                request_may_have_reached_server,
            } => ManagementError::Timeout {
                request_may_have_reached_server,
            },
            Error::Cancelled => ManagementError::Cancelled,
            Error::UnexpectedResponse {
                status,
                problem,
                retry_after,
            } => ManagementError::UnexpectedResponse {
                status,
                problem,
                retry_after,
            },
            other => ManagementError::Authentication(Box::new(other)),
        }
    }
}

/// An error body of the Management API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status (`statusCode`).
    pub status: u16,
    /// The status text (`error`, e.g. `Bad Request`).
    pub error: String,
    /// What went wrong (`message`).
    pub message: String,
    /// A machine-readable code (`errorCode`, e.g. `invalid_body`, `insufficient_scope`).
    pub error_code: Option<String>,
    /// `Retry-After`, for 429 (whole seconds, at most 24 hours). `Display` says it too.
    pub retry_after: Option<Duration>,
}

impl ApiError {
    /// 400: the body failed validation.
    pub fn is_validation_error(&self) -> bool {
        self.status == 400
    }
    /// 401: the token is missing, invalid or expired.
    pub fn is_unauthorized(&self) -> bool {
        self.status == 401
    }
    /// 403: the token lacks a required scope.
    pub fn is_insufficient_scope(&self) -> bool {
        self.status == 403
    }
    /// 404: no such object.
    pub fn is_not_found(&self) -> bool {
        self.status == 404
    }
    /// 409: the object conflicts with an existing one (for example the same
    /// `subject_token_type`).
    pub fn is_conflict(&self) -> bool {
        self.status == 409
    }
    /// 429: rate limited; see [`ApiError::retry_after`].
    pub fn is_rate_limited(&self) -> bool {
        self.status == 429
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status, self.error, self.message)?;
        if let Some(code) = &self.error_code {
            write!(f, " ({code})")?;
        }
        write!(f, "{}", RetryAfterNote(self.retry_after))
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_says_when_to_retry() {
        let e = ManagementError::Api(Box::new(ApiError {
            status: 429,
            error: "Too Many Requests".into(),
            message: "Global limit has been reached".into(),
            error_code: Some("too_many_requests".into()),
            retry_after: Some(Duration::from_secs(9)),
        }));
        assert_eq!(
            e.to_string(),
            "429 Too Many Requests: Global limit has been reached (too_many_requests) (retry after 9 s)"
        );
        let e = ManagementError::UnexpectedResponse {
            status: 503,
            problem: ResponseProblem::NotJson,
            retry_after: Some(Duration::from_secs(5)),
        };
        assert_eq!(
            e.to_string(),
            "unexpected response (HTTP 503): the body is not JSON (retry after 5 s)"
        );
    }
}
