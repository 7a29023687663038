//! What the SCIM server says about itself (RFC 7643 §5-§7): the service provider's
//! configuration, the one resource type (User, with the enterprise extension) and the schemas
//! of exactly the attributes it keeps. Everything advertised works: create, read, replace,
//! patch and filter.
//!
//! No Groups: a department is an employee's attribute here (the enterprise extension's
//! `department`), not a membership, and a Group resource would be a second way to say it.

use serde_json::{json, Value};

use super::scim::{ENTERPRISE, USER_SCHEMA};

pub const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";
pub const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
pub const CONFIG_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
/// Most resources one list answer holds.
pub const MAX_RESULTS: i64 = 200;

fn attribute(name: &str, kind: &str, description: &str) -> Value {
    json!({
        "name": name,
        "type": kind,
        "multiValued": false,
        "description": description,
        "required": false,
        "caseExact": false,
        "mutability": "readWrite",
        "returned": "default",
        "uniqueness": "none"
    })
}

fn user_schema(base: &str) -> Value {
    let mut user_name = attribute("userName", "string", "The provisioning client's unique login name.");
    user_name["required"] = json!(true);
    user_name["uniqueness"] = json!("server");
    let mut name = attribute("name", "complex", "The person's name.");
    name["subAttributes"] = json!([
        attribute("formatted", "string", "The full name, as displayed."),
        attribute("familyName", "string", "Family name."),
        attribute("givenName", "string", "Given name."),
    ]);
    // Required: an employee is known by an email (we also take userName when it is one).
    let mut emails = attribute(
        "emails",
        "complex",
        "Email addresses; the primary one is the employee's.",
    );
    emails["multiValued"] = json!(true);
    emails["required"] = json!(true);
    let mut email_value = attribute("value", "string", "The address.");
    email_value["required"] = json!(true);
    let mut email_type = attribute("type", "string", "work, home or other.");
    email_type["canonicalValues"] = json!(["work", "home", "other"]);
    emails["subAttributes"] = json!([
        email_value,
        email_type,
        attribute("primary", "boolean", "The employee's address."),
    ]);
    json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": USER_SCHEMA,
        "name": "User",
        "description": "An employee of the directory",
        "attributes": [
            user_name,
            name,
            attribute("displayName", "string", "The name shown on postcards and boards."),
            attribute("active", "boolean", "false deactivates the employee (they stay, with their postcards)."),
            emails,
            attribute("timezone", "string", "An IANA time zone, e.g. Europe/London."),
        ],
        "meta": {"resourceType": "Schema", "location": format!("{base}/scim/v2/Schemas/{USER_SCHEMA}")}
    })
}

fn enterprise_schema(base: &str) -> Value {
    let mut manager = attribute("manager", "complex", "The employee's manager.");
    let mut reference = attribute("$ref", "reference", "The manager's User resource.");
    reference["referenceTypes"] = json!(["User"]);
    reference["caseExact"] = json!(true);
    let mut value = attribute("value", "string", "The manager's User id.");
    value["caseExact"] = json!(true);
    let mut display = attribute("displayName", "string", "The manager's name.");
    display["mutability"] = json!("readOnly");
    manager["subAttributes"] = json!([value, reference, display]);
    json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": ENTERPRISE,
        "name": "EnterpriseUser",
        "description": "Enterprise User",
        "attributes": [attribute("department", "string", "The employee's department."), manager],
        "meta": {"resourceType": "Schema", "location": format!("{base}/scim/v2/Schemas/{ENTERPRISE}")}
    })
}

pub fn schemas(base: &str) -> Vec<Value> {
    vec![user_schema(base), enterprise_schema(base)]
}

pub fn resource_types(base: &str) -> Vec<Value> {
    vec![json!({
        "schemas": [RESOURCE_TYPE_SCHEMA],
        "id": "User",
        "name": "User",
        "endpoint": "/Users",
        "description": "Employees of the directory",
        "schema": USER_SCHEMA,
        "schemaExtensions": [{"schema": ENTERPRISE, "required": false}],
        "meta": {"resourceType": "ResourceType", "location": format!("{base}/scim/v2/ResourceTypes/User")}
    })]
}

pub fn service_provider_config(base: &str) -> Value {
    json!({
        "schemas": [CONFIG_SCHEMA],
        "documentationUri": format!("{base}/docs/"),
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": false},
        "sort": {"supported": false},
        "etag": {"supported": false},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "A SCIM token an admin made (POST /api/v1/admin/scim-tokens or `champion scim-token`)",
            "primary": true
        }],
        "meta": {"resourceType": "ServiceProviderConfig", "location": format!("{base}/scim/v2/ServiceProviderConfig")}
    })
}
