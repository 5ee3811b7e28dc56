//! The floor under `POST /discord/interactions`: one bare Ed25519 verification of a signed
//! `/story status` interaction, as serenity's verifier and as the endpoint's check (which
//! adds the header and timestamp handling).

use criterion::{criterion_group, criterion_main, Criterion};
use ed25519_dalek::{Signer, SigningKey};
use serenity::interactions_endpoint::Verifier;
use storydesk::discord::verify::SignatureCheck;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn bench(c: &mut Criterion) {
    let key = SigningKey::from_bytes(&[42u8; 32]);
    let body = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/discord/application_command_subcommand.json"
    ))
    .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let ts = now.to_string();
    let sig = hex(&key
        .sign(&[ts.as_bytes(), body.as_bytes()].concat())
        .to_bytes());
    let verifier = Verifier::try_new(*key.verifying_key().as_bytes()).unwrap();
    let check = SignatureCheck::from_hex(&hex(key.verifying_key().as_bytes())).unwrap();
    c.bench_function("ed25519 verify (serenity Verifier)", |b| {
        b.iter(|| verifier.verify(&sig, &ts, body.as_bytes()).unwrap())
    });
    c.bench_function("signature check (endpoint)", |b| {
        b.iter(|| {
            check
                .check(Some(&sig), Some(&ts), body.as_bytes(), now)
                .unwrap()
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
