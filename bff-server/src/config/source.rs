//! Where settings come from: environment variables over an optional TOML file (`ZK_CONFIG`),
//! with one reader per kind of value so every section parses alike and names its variable
//! when a value is wrong.

use std::time::Duration;

use super::file::FileConfig;
use super::ConfigError;

/// The environment (a function, so tests pass a map) and the file under it.
pub struct Source<'a> {
    env: &'a dyn Fn(&str) -> Option<String>,
    /// The `ZK_CONFIG` file, or an empty one.
    pub file: FileConfig,
}

impl<'a> Source<'a> {
    /// The settings of `env` and of the file it names in `ZK_CONFIG`, if any.
    pub fn new(env: &'a dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let file = match env("ZK_CONFIG") {
            Some(path) => FileConfig::read(std::path::Path::new(&path))?,
            None => FileConfig::default(),
        };
        Ok(Self { env, file })
    }

    /// The environment variable `name`.
    pub fn var(&self, name: &str) -> Option<String> {
        (self.env)(name)
    }

    /// The variable `name`, else the file's value.
    pub fn pick(&self, name: &str, from_file: &Option<String>) -> Option<String> {
        self.var(name).or_else(|| from_file.clone())
    }

    /// Like [`Source::pick`], but absent is an error naming `name`.
    pub fn required(
        &self,
        name: &'static str,
        from_file: &Option<String>,
    ) -> Result<String, ConfigError> {
        self.pick(name, from_file).ok_or(ConfigError::Missing(name))
    }

    /// A comma-separated list, trimmed, empty items dropped.
    pub fn list(&self, name: &str) -> Option<Vec<String>> {
        self.var(name).map(|list| {
            list.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
    }

    fn number<T: std::str::FromStr>(
        &self,
        name: &'static str,
        what: &str,
    ) -> Result<Option<T>, ConfigError> {
        match self.var(name) {
            None => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| ConfigError::Invalid {
                name,
                reason: format!("{v:?} is not a number of {what}"),
            }),
        }
    }

    /// A count of `what`, at least one (`default` when unset).
    pub fn count(&self, name: &'static str, what: &str, default: u32) -> Result<u32, ConfigError> {
        match self.number::<u32>(name, what)? {
            None => Ok(default),
            Some(0) => Err(ConfigError::Invalid {
                name,
                reason: format!("0 is not a positive number of {what}"),
            }),
            Some(n) => Ok(n),
        }
    }

    /// Milliseconds (`default` when unset).
    pub fn millis(&self, name: &'static str, default: u64) -> Result<Duration, ConfigError> {
        Ok(Duration::from_millis(
            self.number(name, "milliseconds")?.unwrap_or(default),
        ))
    }

    /// Seconds, or `None` when unset.
    pub fn optional_secs(&self, name: &'static str) -> Result<Option<Duration>, ConfigError> {
        Ok(self.number(name, "seconds")?.map(Duration::from_secs))
    }

    /// Milliseconds, or `None` when unset.
    pub fn optional_millis(&self, name: &'static str) -> Result<Option<Duration>, ConfigError> {
        Ok(self
            .number(name, "milliseconds")?
            .map(Duration::from_millis))
    }

    /// A switch: `1`/`true`/`yes` or `0`/`false`/`no` (`default` when unset).
    pub fn flag(&self, name: &'static str, default: bool) -> Result<bool, ConfigError> {
        match self.var(name).as_deref() {
            None => Ok(default),
            Some("1" | "true" | "yes") => Ok(true),
            Some("0" | "false" | "no") => Ok(false),
            Some(other) => Err(ConfigError::Invalid {
                name,
                reason: format!("{other:?} is not true or false"),
            }),
        }
    }

    /// Seconds (`default` when unset).
    pub fn seconds(&self, name: &'static str, default: u64) -> Result<Duration, ConfigError> {
        Ok(Duration::from_secs(
            self.number(name, "seconds")?.unwrap_or(default),
        ))
    }

    /// Seconds, more than zero (`default` when unset).
    pub fn positive_seconds(&self, name: &'static str, default: u64) -> Result<u64, ConfigError> {
        match self.number::<u64>(name, "seconds")? {
            None => Ok(default),
            Some(0) => Err(ConfigError::Invalid {
                name,
                reason: "0 is not a positive number of seconds".into(),
            }),
            Some(secs) => Ok(secs),
        }
    }

    /// Whole days, at least one (a shorter retention would prune what is still in use).
    pub fn days(&self, name: &'static str, default: Duration) -> Result<Duration, ConfigError> {
        let given: u64 = self
            .number(name, "days")?
            .unwrap_or(default.as_secs() / 86_400);
        given
            .checked_mul(86_400)
            .filter(|_| given >= 1)
            .map(Duration::from_secs)
            .ok_or(ConfigError::Invalid {
                name,
                reason: format!("{given} is not a number of days between 1 and a few million"),
            })
    }

    /// Requests per minute (`default` when unset).
    pub fn per_minute(&self, name: &'static str, default: u32) -> Result<u32, ConfigError> {
        Ok(self.number(name, "requests per minute")?.unwrap_or(default))
    }
}
