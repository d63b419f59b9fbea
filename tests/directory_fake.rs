//! The directory reader against a scripted in-process LDAP server, for what real servers do
//! not produce on demand: size limits and referrals mid-read, continuation references, a
//! connection dropped after some entries, a server that stops answering, range windows
//! smaller than asked for, binary and broken attribute values.

#[path = "directory_support.rs"]
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use jira_align_user_sync::crd::DirectoryMode;
use jira_align_user_sync::directory::DirectoryError;
use jira_align_user_sync::directory::{DirectoryConfig, read_members_measured};
use ldap3::asn1::{PL, StructureTag, TagClass, parse_tag};
use support::{keys, now, plaintext, read, read_err};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const BASE: &str = "DC=fake,DC=test";
const GROUP: &str = "CN=jira,OU=Groups,DC=fake,DC=test";
const ALICE: &str = "CN=alice,OU=Staff,DC=fake,DC=test";
const BOB: &str = "CN=bob,OU=Staff,DC=fake,DC=test";

/// One search request, with its filter flattened to the text of its parts.
#[derive(Debug)]
struct Request {
    base: String,
    filter: String,
    attrs: Vec<String>,
}

impl Request {
    fn is_group_lookup(&self) -> bool {
        self.base == GROUP && self.attrs == ["objectSid"]
    }
    fn is_members(&self) -> bool {
        self.filter.contains("1.2.840.113556.1.4.1941") && self.filter.contains("person")
    }
    fn range_start(&self) -> Option<&str> {
        let attr = self.attrs.first()?.strip_prefix("member;range=")?;
        attr.split('-').next()
    }
}

#[derive(Clone)]
enum Item {
    Entry(&'static str, Vec<(&'static str, Vec<Vec<u8>>)>),
    Reference(&'static str),
}

enum Reply {
    Done(Vec<Item>, u32),
    /// Send these items, then close the connection.
    HangUp(Vec<Item>),
    Silence,
}

type Script = Arc<dyn Fn(&Request) -> Option<Reply> + Send + Sync>;

fn user(dn: &'static str, sam: &[u8]) -> Item {
    let guid = vec![0x06, 0xe8, 0xff, 0x00, 0x9c, 0x41, 0x80, 0x01];
    Item::Entry(
        dn,
        vec![
            ("sAMAccountName", vec![sam.to_vec()]),
            ("objectGUID", vec![guid]),
            ("userAccountControl", vec![b"512".to_vec()]),
        ],
    )
}

/// A small AD domain: `GROUP` (RID 1104) holds alice and bob directly.
fn domain(request: &Request) -> Reply {
    let ok = |items| Reply::Done(items, 0);
    if request.is_group_lookup() {
        let mut sid = vec![1, 5, 0, 0, 0, 0, 0, 5];
        for part in [21u32, 1, 2, 3, 1104] {
            sid.extend(part.to_le_bytes());
        }
        return ok(vec![Item::Entry(GROUP, vec![("objectSid", vec![sid])])]);
    }
    if request.is_members() {
        return ok(vec![user(ALICE, b"alice"), user(BOB, b"bob")]);
    }
    if request.range_start().is_some() {
        let members = vec![ALICE.as_bytes().to_vec(), BOB.as_bytes().to_vec()];
        return ok(vec![Item::Entry(
            GROUP,
            vec![("member;range=0-*", members)],
        )]);
    }
    if request.base == BASE && request.attrs == ["1.1"] {
        return ok(vec![Item::Entry(BASE, vec![])]);
    }
    ok(vec![])
}

/// Starts the server; `script` answers first, the domain answers what it leaves.
async fn serve(
    script: impl Fn(&Request) -> Option<Reply> + Send + Sync + 'static,
) -> DirectoryConfig {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("loopback port");
    let port = listener.local_addr().expect("bound address").port();
    let script: Script = Arc::new(script);
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(session(socket, script.clone()));
        }
    });
    let url = format!("ldap://127.0.0.1:{port}");
    let mut spec = support::spec(
        DirectoryMode::ActiveDirectory,
        url,
        "CN=svc,DC=fake,DC=test",
        BASE,
        GROUP,
    );
    spec.tls = plaintext();
    spec.timeout_seconds = 1;
    DirectoryConfig::from_spec(&spec, &[], "secret".to_string(), None)
}

async fn session(mut socket: TcpStream, script: Script) {
    let mut buffer = Vec::new();
    loop {
        let (message, used) = match parse_tag(&buffer) {
            Ok((rest, tag)) => (tag, buffer.len() - rest.len()),
            Err(_) => {
                let mut chunk = [0u8; 4096];
                match socket.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(read) => buffer.extend_from_slice(&chunk[..read]),
                }
                continue;
            }
        };
        buffer.drain(..used);
        let mut parts = children(message).into_iter();
        let id = parts.next().map(integer).unwrap_or(0);
        let Some(op) = parts.next() else { return };
        let reply = match op.id {
            0 => vec![message_tag(id, app(1, result_parts(0)))],
            3 => {
                let request = search_request(op);
                match script(&request).unwrap_or_else(|| domain(&request)) {
                    Reply::Done(items, rc) => {
                        let mut out: Vec<StructureTag> = items
                            .into_iter()
                            .map(|item| message_tag(id, item_tag(item)))
                            .collect();
                        out.push(message_tag(id, app(5, result_parts(rc))));
                        out
                    }
                    Reply::HangUp(items) => {
                        for item in items {
                            let _ = socket
                                .write_all(&encode(message_tag(id, item_tag(item))))
                                .await;
                        }
                        return;
                    }
                    Reply::Silence => continue,
                }
            }
            2 => return,
            _ => continue,
        };
        for tag in reply {
            if socket.write_all(&encode(tag)).await.is_err() {
                return;
            }
        }
    }
}

fn search_request(op: StructureTag) -> Request {
    let parts = children(op);
    let text = |tag: &StructureTag| String::from_utf8_lossy(&flatten(tag)).into_owned();
    Request {
        base: parts.first().map(text).unwrap_or_default(),
        filter: parts.get(6).map(text).unwrap_or_default(),
        attrs: parts
            .get(7)
            .map(|attrs| children(attrs.clone()).iter().map(text).collect())
            .unwrap_or_default(),
    }
}

/// The primitive contents of a tag, joined by spaces.
fn flatten(tag: &StructureTag) -> Vec<u8> {
    match &tag.payload {
        PL::P(bytes) => bytes.clone(),
        PL::C(inner) => inner.iter().map(flatten).collect::<Vec<_>>().join(&b' '),
    }
}

fn children(tag: StructureTag) -> Vec<StructureTag> {
    match tag.payload {
        PL::C(inner) => inner,
        PL::P(_) => Vec::new(),
    }
}

fn integer(tag: StructureTag) -> i64 {
    match tag.payload {
        PL::P(bytes) => bytes
            .iter()
            .fold(0, |value, byte| value << 8 | i64::from(*byte)),
        PL::C(_) => 0,
    }
}

fn primitive(class: TagClass, id: u64, bytes: Vec<u8>) -> StructureTag {
    StructureTag {
        class,
        id,
        payload: PL::P(bytes),
    }
}

fn octets(bytes: &[u8]) -> StructureTag {
    primitive(TagClass::Universal, 4, bytes.to_vec())
}

fn constructed(class: TagClass, id: u64, inner: Vec<StructureTag>) -> StructureTag {
    StructureTag {
        class,
        id,
        payload: PL::C(inner),
    }
}

fn app(id: u64, inner: Vec<StructureTag>) -> StructureTag {
    constructed(TagClass::Application, id, inner)
}

fn result_parts(rc: u32) -> Vec<StructureTag> {
    let code = u8::try_from(rc).expect("test result codes fit a byte");
    vec![
        primitive(TagClass::Universal, 10, vec![code]),
        octets(b""),
        octets(b"scripted"),
    ]
}

fn message_tag(id: i64, op: StructureTag) -> StructureTag {
    // Minimal two's complement: drop leading zero bytes while the sign bit stays clear.
    let mut bytes = id.to_be_bytes().to_vec();
    while bytes.len() > 1 && bytes[0] == 0 && bytes[1] < 0x80 {
        bytes.remove(0);
    }
    constructed(
        TagClass::Universal,
        16,
        vec![primitive(TagClass::Universal, 2, bytes), op],
    )
}

fn item_tag(item: Item) -> StructureTag {
    match item {
        Item::Entry(dn, attrs) => {
            let attrs = attrs
                .into_iter()
                .map(|(name, values)| {
                    let values = values.iter().map(|value| octets(value)).collect();
                    let set = constructed(TagClass::Universal, 17, values);
                    constructed(TagClass::Universal, 16, vec![octets(name.as_bytes()), set])
                })
                .collect();
            app(
                4,
                vec![
                    octets(dn.as_bytes()),
                    constructed(TagClass::Universal, 16, attrs),
                ],
            )
        }
        Item::Reference(uri) => app(19, vec![octets(uri.as_bytes())]),
    }
}

/// BER: identifier, definite length, contents.
fn encode(tag: StructureTag) -> Vec<u8> {
    let class = match tag.class {
        TagClass::Universal => 0x00,
        TagClass::Application => 0x40,
        TagClass::Context => 0x80,
        TagClass::Private => 0xc0,
    };
    let (form, contents) = match tag.payload {
        PL::P(bytes) => (0x00, bytes),
        PL::C(inner) => (0x20, inner.into_iter().flat_map(encode).collect()),
    };
    let id = u8::try_from(tag.id).expect("test tags use low tag numbers");
    let mut out = vec![class | form | id];
    let length = contents.len().to_be_bytes();
    let significant: Vec<u8> = length.into_iter().skip_while(|byte| *byte == 0).collect();
    match contents.len() {
        0..=127 => out.push(contents.len() as u8),
        _ => {
            out.push(0x80 | significant.len() as u8);
            out.extend(significant);
        }
    }
    out.extend(contents);
    out
}

/// A script answering the member search with `items` and result code `rc`.
fn members(
    items: Vec<Item>,
    rc: u32,
) -> impl Fn(&Request) -> Option<Reply> + Send + Sync + 'static {
    move |request| request.is_members().then(|| Reply::Done(items.clone(), rc))
}

/// Reads, expecting a failure with this reason whose message mentions `text`.
async fn fails(config: &DirectoryConfig, reason: &str, text: &str) -> DirectoryError {
    let error = read_err(config).await;
    assert_eq!(error.reason(), reason, "{error}");
    assert!(error.to_string().contains(text), "{error}");
    error
}

#[tokio::test]
async fn binary_values_pass_and_members_are_read() {
    let config = serve(|_| None).await;
    assert_eq!(keys(&read(&config).await), ["alice", "bob"]);
}

#[tokio::test]
async fn a_size_limit_fails_the_read() {
    let config = serve(members(vec![user(ALICE, b"alice")], 4)).await;
    fails(
        &config,
        "IncompleteRead",
        "size limit was exceeded (result code 4: scripted)",
    )
    .await;
}

#[tokio::test]
async fn a_referral_result_fails_the_read() {
    let config = serve(members(vec![], 10)).await;
    fails(&config, "IncompleteRead", "referral").await;
}

#[tokio::test]
async fn continuation_references_to_user_partitions_fail_the_read() {
    let configuration = Item::Reference("ldap://fake.test/CN=Configuration,DC=fake,DC=test");
    let items = vec![user(ALICE, b"alice"), configuration, user(BOB, b"bob")];
    let config = serve(members(items, 0)).await;
    assert_eq!(keys(&read(&config).await), ["alice", "bob"]);

    let child = Item::Reference("ldap://child.fake.test/DC=child,DC=fake,DC=test");
    let config = serve(members(vec![user(ALICE, b"alice"), child], 0)).await;
    fails(&config, "IncompleteRead", "DC=child,DC=fake,DC=test").await;
}

#[tokio::test]
async fn a_connection_dropped_mid_read_fails_the_read() {
    let config = serve(|request| {
        let sent = vec![user(ALICE, b"alice")];
        request.is_members().then_some(Reply::HangUp(sent))
    })
    .await;
    fails(&config, "IncompleteRead", "connection was closed").await;
}

#[tokio::test]
async fn a_server_that_stops_answering_times_out() {
    let config = serve(|request| request.is_members().then_some(Reply::Silence)).await;
    fails(&config, "IncompleteRead", "no answer within the timeout").await;
}

#[tokio::test]
async fn smaller_range_windows_are_followed() {
    let windows = Arc::new(AtomicUsize::new(0));
    let seen = windows.clone();
    let config = serve(move |request| {
        let start = request.range_start()?;
        seen.fetch_add(1, Ordering::Relaxed);
        let (name, dn) = match start {
            "0" => ("member;range=0-0", ALICE),
            _ => ("member;range=1-*", BOB),
        };
        let entry = Item::Entry(GROUP, vec![(name, vec![dn.as_bytes().to_vec()])]);
        Some(Reply::Done(vec![entry], 0))
    })
    .await;
    let (snapshot, _) = read_members_measured(&config, now())
        .await
        .expect("read succeeds");
    assert_eq!(keys(&snapshot), ["alice", "bob"]);
    assert_eq!(windows.load(Ordering::Relaxed), 2);
}

#[tokio::test]
async fn a_direct_member_missing_from_the_in_chain_result_fails_the_read() {
    const CAROL: &str = "CN=carol,OU=Staff,DC=fake,DC=test";
    let config = serve(|request| {
        if request.range_start().is_some() {
            let direct = [ALICE, BOB, CAROL]
                .map(|dn| dn.as_bytes().to_vec())
                .to_vec();
            let group = Item::Entry(GROUP, vec![("member;range=0-*", direct)]);
            return Some(Reply::Done(vec![group], 0));
        }
        let person = vec![
            (
                "objectClass",
                vec![b"top".to_vec(), b"person".to_vec(), b"user".to_vec()],
            ),
            (
                "objectCategory",
                vec![b"CN=Person,CN=Schema,CN=Configuration,DC=fake,DC=test".to_vec()],
            ),
        ];
        (request.base == CAROL).then(|| Reply::Done(vec![Item::Entry(CAROL, person)], 0))
    })
    .await;
    fails(&config, "IncompleteRead", CAROL).await;
}

#[tokio::test]
async fn a_key_that_is_not_text_fails_the_read() {
    let config = serve(members(
        vec![user(ALICE, b"alice"), user(BOB, &[0xff, 0xfe])],
        0,
    ))
    .await;
    fails(&config, "InvalidDirectoryData", BOB).await;
}

#[tokio::test]
async fn ldap_mode_follows_ranged_member_values() {
    const GROUPS: &str = "OU=Groups,DC=fake,DC=test";
    const STAFF: &str = "OU=Staff,DC=fake,DC=test";
    let dns = |list: &[&str]| {
        list.iter()
            .map(|dn| dn.as_bytes().to_vec())
            .collect::<Vec<_>>()
    };
    let mut config = serve(move |request| {
        let done = |items| Some(Reply::Done(items, 0));
        if request.range_start().is_some() {
            return done(vec![Item::Entry(
                GROUP,
                vec![("member;range=0-*", dns(&[ALICE, BOB]))],
            )]);
        }
        if request.base == GROUP || request.base == GROUPS {
            let class = ("objectClass", vec![b"groupOfNames".to_vec()]);
            let capped = ("member;range=0-0", dns(&[ALICE]));
            return done(vec![Item::Entry(GROUP, vec![class, capped])]);
        }
        (request.base == STAFF)
            .then(|| Reply::Done(vec![user(ALICE, b"alice"), user(BOB, b"bob")], 0))
    })
    .await;
    config.mode = DirectoryMode::Ldap;
    config.attributes.key = "sAMAccountName".to_string();
    assert_eq!(keys(&read(&config).await), ["alice", "bob"]);
}

#[tokio::test]
async fn a_closed_port_is_unreachable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("loopback port");
    let port = listener.local_addr().expect("bound address").port();
    drop(listener);
    let mut config = serve(|_| None).await;
    config.url = format!("ldap://127.0.0.1:{port}");
    fails(
        &config,
        "DirectoryUnreachable",
        &format!("127.0.0.1:{port}"),
    )
    .await;
}
