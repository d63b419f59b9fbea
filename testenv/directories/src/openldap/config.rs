//! The `cn=config` LDIF of a throwaway slapd (mdb, memberof, ppolicy, TLS, an AD-like
//! size limit) and the skeleton entries every instance starts with.

use std::path::Path;

use crate::ldap_fixture::LDAP_BASE_DN;
use crate::ldif::Entry;
use crate::tls::TlsFiles;

/// The rootdn of the data database (bypasses ACLs and limits).
pub(super) const ADMIN_DN: &str = "cn=admin,dc=example,dc=com";
pub(super) const ADMIN_PASSWORD: &str = "Adm1n-Passw0rd!";
const ADMIN_PASSWORD_HASH: &str = "{SSHA}tISyf1vE/ipOP2pjrVJIrxDdoyjrjLPM";

/// The read-only account a sync binds as.
pub(super) const BIND_DN: &str = "cn=sync,ou=service,dc=example,dc=com";
pub(super) const BIND_PASSWORD: &str = "Sync-Passw0rd!";
const BIND_PASSWORD_HASH: &str = "{SSHA}mq99WyCyhvATMPov6y/MkJmCcjU/QWxh";

pub(super) const POLICY_DN: &str = "cn=default,ou=policies,dc=example,dc=com";

/// Like AD's MaxPageSize: an unpaged search stops at 1000 entries (rc 4); a paged one
/// may read everything.
const SIZE_LIMIT: u32 = 1000;

/// 389-DS's account-inactivation flag does not ship with OpenLDAP. Its OID is kept; it is
/// a user attribute here (OpenLDAP refuses operational ones in loaded schema), so it needs
/// the auxiliary class below, whose OID sits under OpenLDAP's experimental arc.
const NS_ACCOUNT_LOCK_SCHEMA: &str = "\
dn: cn=nsaccountlock,cn=schema,cn=config
objectClass: olcSchemaConfig
cn: nsaccountlock
olcAttributeTypes: ( 2.16.840.1.113730.3.1.610 NAME 'nsAccountLock'
  DESC 'Account inactivation flag as in 389 Directory Server'
  EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
olcObjectClasses: ( 1.3.6.1.4.1.4203.666.11.99.1 NAME 'nsAccountLockable'
  DESC 'Allows nsAccountLock on entries of any structural class'
  AUXILIARY MAY nsAccountLock )
";

/// The whole `cn=config` tree for an instance keeping its files in `dir`.
/// `demand_tls` adds `olcSecurity: tls=1`: every operation then needs TLS.
pub(super) fn config_ldif(dir: &Path, tls: &TlsFiles, demand_tls: bool) -> String {
    let dir = dir.display();
    let security = if demand_tls {
        "olcSecurity: tls=1\n"
    } else {
        ""
    };
    format!(
        "\
dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: {dir}/slapd.pid
olcArgsFile: {dir}/slapd.args
olcTLSCACertificateFile: {ca}
olcTLSCertificateFile: {cert}
olcTLSCertificateKeyFile: {key}
{security}
dn: cn=module{{0}},cn=config
objectClass: olcModuleList
cn: module{{0}}
olcModulePath: /usr/lib/ldap
olcModuleLoad: back_mdb
olcModuleLoad: memberof
olcModuleLoad: ppolicy

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

include: file:///etc/ldap/schema/core.ldif

include: file:///etc/ldap/schema/cosine.ldif

include: file:///etc/ldap/schema/nis.ldif

include: file:///etc/ldap/schema/inetorgperson.ldif

{NS_ACCOUNT_LOCK_SCHEMA}
dn: olcDatabase={{-1}}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {{-1}}frontend

dn: olcDatabase={{0}}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {{0}}config

dn: olcDatabase={{1}}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {{1}}mdb
olcSuffix: {LDAP_BASE_DN}
olcDbDirectory: {dir}/db
olcDbMaxSize: 4294967296
olcRootDN: {ADMIN_DN}
olcRootPW: {ADMIN_PASSWORD_HASH}
olcLimits: {{0}}* size.soft={SIZE_LIMIT} size.hard={SIZE_LIMIT} size.prtotal=unlimited
olcAccess: {{0}}to attrs=userPassword by anonymous auth by self write by * none
olcAccess: {{1}}to * by dn.exact=\"{BIND_DN}\" read by self read by * none
olcDbIndex: objectClass eq
olcDbIndex: uid,cn,mail eq
olcDbIndex: member,uniqueMember,memberUid eq
olcDbIndex: entryUUID eq

dn: olcOverlay={{0}}memberof,olcDatabase={{1}}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcMemberOf
olcOverlay: {{0}}memberof
olcMemberOfRefInt: TRUE

dn: olcOverlay={{1}}ppolicy,olcDatabase={{1}}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcPPolicyConfig
olcOverlay: {{1}}ppolicy
olcPPolicyDefault: {POLICY_DN}
",
        ca = tls.ca_pem.display(),
        cert = tls.cert_pem.display(),
        key = tls.key_pem.display(),
    )
}

/// The suffix, the bind account and the default password policy.
pub(super) fn skeleton_ldif() -> String {
    let mut out = String::new();
    Entry::new(LDAP_BASE_DN)
        .attr("objectClass", "dcObject")
        .attr("objectClass", "organization")
        .attr("dc", "example")
        .attr("o", "Example")
        .write_to(&mut out);
    for ou in ["service", "policies"] {
        Entry::new(format!("ou={ou},{LDAP_BASE_DN}"))
            .attr("objectClass", "organizationalUnit")
            .attr("ou", ou)
            .write_to(&mut out);
    }
    Entry::new(BIND_DN)
        .attr("objectClass", "organizationalRole")
        .attr("objectClass", "simpleSecurityObject")
        .attr("cn", "sync")
        .attr(
            "description",
            "Read-only account of the Jira Align user sync",
        )
        .attr("userPassword", BIND_PASSWORD_HASH)
        .write_to(&mut out);
    Entry::new(POLICY_DN)
        .attr("objectClass", "organizationalRole")
        .attr("objectClass", "pwdPolicy")
        .attr("cn", "default")
        .attr("pwdAttribute", "userPassword")
        .attr("pwdLockout", "TRUE")
        .attr("pwdMaxFailure", "5")
        .attr("pwdLockoutDuration", "0")
        .write_to(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ldap_fixture::SKELETON_DNS;

    #[test]
    fn skeleton_creates_exactly_the_documented_entries() {
        let text = skeleton_ldif();
        let dns: Vec<&str> = text
            .lines()
            .filter_map(|line| line.strip_prefix("dn: "))
            .collect();
        assert_eq!(dns, SKELETON_DNS);
    }

    #[test]
    fn demanding_tls_adds_the_security_line() {
        let tls = TlsFiles {
            ca_pem: "/s/ca.pem".into(),
            cert_pem: "/s/server.pem".into(),
            key_pem: "/s/server.key".into(),
        };
        let strict = config_ldif(Path::new("/s"), &tls, true);
        assert!(strict.contains("olcTLSCertificateKeyFile: /s/server.key\nolcSecurity: tls=1\n\n"));
        let relaxed = config_ldif(Path::new("/s"), &tls, false);
        assert!(!relaxed.contains("olcSecurity"));
        assert!(relaxed.contains("olcDbDirectory: /s/db\n"));
        assert!(
            relaxed
                .contains("olcLimits: {0}* size.soft=1000 size.hard=1000 size.prtotal=unlimited\n")
        );
    }
}
