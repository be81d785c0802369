//! The text fields master data shares — codes, names, free text and
//! currencies — each a type that states its rule, its message and its
//! OpenAPI schema once, instead of a pattern restated on every field of
//! every request body.
//!
//! A body deserialises these as given and the rule runs in the
//! [`Validator`] pass ([`Validator::rule`]): serde stops at the first value
//! it refuses, and a client should learn of every bad field at once.
use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::{Deserialize, Deserializer};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};

use super::Validator;
use super::validate::{MAX_NAME, MAX_TEXT};

/// What a text field must look like: the check run in the validator pass
/// and the schema the OpenAPI document shows for it.
pub trait Rule {
    /// The schema's name in the OpenAPI document.
    const NAME: &'static str;
    /// Records what is wrong with `value`, sent as `field`.
    fn check(v: &mut Validator, field: &str, value: &str);
    /// The OpenAPI schema of a valid value.
    fn schema() -> ObjectBuilder;
}

/// Text of a request field that must follow the rule `R`.
pub struct Text<R> {
    value: String,
    rule: PhantomData<R>,
}

/// A code: 1 to 64 letters, digits or `-_./` — part numbers and the codes
/// of warehouses, sites, SLA classes and vendors.
pub type Code = Text<CodeRule>;
/// A name: non-empty once trimmed, at most 200 characters, no control
/// characters.
pub type Name = Text<NameRule>;
/// Free text such as a description: at most 2000 characters, may be empty.
pub type FreeText = Text<FreeTextRule>;
/// A three-letter upper-case currency code such as `EUR`.
pub type Currency = Text<CurrencyRule>;

impl<R> Text<R> {
    pub fn as_str(&self) -> &str {
        &self.value
    }

    pub fn into_string(self) -> String {
        self.value
    }
}

impl Currency {
    /// The currency a part or lane has when none is given.
    pub fn eur() -> Currency {
        Currency::from("EUR")
    }
}

impl Validator {
    /// Checks `value`, sent as `field`, against its rule.
    pub fn rule<R: Rule>(&mut self, field: &str, value: &Text<R>) -> &mut Self {
        R::check(self, field, value.as_str());
        self
    }
}

impl<R> From<String> for Text<R> {
    fn from(value: String) -> Self {
        Text {
            value,
            rule: PhantomData,
        }
    }
}

impl<R> From<&str> for Text<R> {
    fn from(value: &str) -> Self {
        Text::from(value.to_owned())
    }
}

impl<R> From<Text<R>> for String {
    fn from(text: Text<R>) -> String {
        text.value
    }
}

impl<R> Clone for Text<R> {
    fn clone(&self) -> Self {
        Text::from(self.value.clone())
    }
}

impl<R> Default for Text<R> {
    fn default() -> Self {
        Text::from(String::new())
    }
}

impl<R> PartialEq for Text<R> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<R> Eq for Text<R> {}

impl<R> fmt::Debug for Text<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.value, f)
    }
}

impl<'de, R> Deserialize<'de> for Text<R> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Text::from)
    }
}

impl<R: Rule> PartialSchema for Text<R> {
    fn schema() -> RefOr<Schema> {
        R::schema().schema_type(Type::String).into()
    }
}

impl<R: Rule> ToSchema for Text<R> {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed(R::NAME)
    }
}

/// The rule of a [`Code`].
pub struct CodeRule;

impl Rule for CodeRule {
    const NAME: &'static str = "Code";

    fn check(v: &mut Validator, field: &str, value: &str) {
        v.code(field, value);
    }

    fn schema() -> ObjectBuilder {
        ObjectBuilder::new()
            .description(Some(
                "A unique code: 1 to 64 letters, digits or `-`, `_`, `.`, `/`.",
            ))
            .pattern(Some(r"^[A-Za-z0-9\-_./]{1,64}$"))
            .examples(["DEP-EU"])
    }
}

/// The rule of a [`Name`].
pub struct NameRule;

impl Rule for NameRule {
    const NAME: &'static str = "Name";

    fn check(v: &mut Validator, field: &str, value: &str) {
        v.text(field, value, MAX_NAME);
    }

    fn schema() -> ObjectBuilder {
        ObjectBuilder::new()
            .description(Some(
                "A name: not blank, at most 200 characters, no control characters.",
            ))
            .min_length(Some(1))
            .max_length(Some(MAX_NAME))
            .pattern(Some(
                r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$",
            ))
    }
}

/// The rule of [`FreeText`].
pub struct FreeTextRule;

impl Rule for FreeTextRule {
    const NAME: &'static str = "FreeText";

    fn check(v: &mut Validator, field: &str, value: &str) {
        v.optional_text(field, value, MAX_TEXT);
    }

    fn schema() -> ObjectBuilder {
        ObjectBuilder::new()
            .description(Some("Free text of at most 2000 characters; may be empty."))
            .max_length(Some(MAX_TEXT))
    }
}

/// The rule of a [`Currency`].
pub struct CurrencyRule;

impl Rule for CurrencyRule {
    const NAME: &'static str = "Currency";

    fn check(v: &mut Validator, field: &str, value: &str) {
        v.currency(field, value);
    }

    fn schema() -> ObjectBuilder {
        ObjectBuilder::new()
            .description(Some("A three-letter upper-case currency code."))
            .pattern(Some("^[A-Z]{3}$"))
            .examples(["EUR"])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::validate::Invalid;

    #[derive(Deserialize)]
    struct Body {
        code: Code,
        name: Name,
        #[serde(default)]
        description: FreeText,
        #[serde(default = "Currency::eur")]
        currency: Currency,
    }

    fn fields_named(body: &Body) -> Vec<String> {
        let mut v = Validator::new();
        v.rule("code", &body.code)
            .rule("name", &body.name)
            .rule("description", &body.description)
            .rule("currency", &body.currency);
        match v.finish() {
            Ok(()) => Vec::new(),
            Err(Invalid(errors)) => errors.into_iter().map(|e| e.field).collect(),
        }
    }

    #[test]
    fn a_bad_value_deserialises_and_every_bad_field_is_named() {
        let body: Body =
            serde_json::from_str(r#"{"code": "has space", "name": "  ", "currency": "eur"}"#)
                .expect("any strings deserialise");
        assert_eq!(fields_named(&body), ["code", "name", "currency"]);
    }

    #[test]
    fn good_values_pass_and_defaults_apply() {
        let body: Body =
            serde_json::from_str(r#"{"code": "DEP-01/A_b.c", "name": " Depot "}"#).expect("body");
        assert!(fields_named(&body).is_empty());
        assert_eq!(body.currency.as_str(), "EUR");
        assert_eq!(body.description.as_str(), "");
    }

    #[test]
    fn the_schema_is_named_and_keeps_its_pattern() {
        assert_eq!(Code::name(), "Code");
        let json = serde_json::to_value(Name::schema()).expect("schema");
        assert_eq!(json["type"], "string");
        assert_eq!(json["maxLength"], 200);
        assert_eq!(json["minLength"], 1);
    }
}
