//! SRTP against an independent implementation, and its speed.
//!
//! - `srtp_openssl_*`: every profile's whole SRTP and SRTCP packets, key derivation
//!   included, recomputed step by step with OpenSSL's AES-CTR, AES-GCM and HMAC-SHA1 from
//!   the RFC 3711 / RFC 7714 formulas, and compared byte for byte.
//! - `srtp_figures_*`: packets per second for protect + unprotect of 1200-byte payloads per
//!   profile, as a ratio to the raw crypto they are built on, in the same run. Printed,
//!   never asserted. Run with
//!   `cargo test --release -p sansrtc-tests --test srtp -- --nocapture srtp_figures`.

use std::hint::black_box;
use std::time::Instant;

use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::sign::Signer;
use openssl::symm::{Cipher, encrypt, encrypt_aead};
use sansrtc::srtp::{Context, KeyRole, MasterKey, Profile, SrtpKeys};

/// RTP header (12 bytes) plus this payload.
const PAYLOAD: usize = 1200;

fn key_for(profile: Profile, seed: u8) -> MasterKey {
    let key: Vec<u8> = (0..profile.key_len() as u8)
        .map(|b| b.wrapping_mul(31) ^ seed)
        .collect();
    let salt: Vec<u8> = (0..profile.salt_len() as u8)
        .map(|b| b.wrapping_mul(17) ^ seed)
        .collect();
    MasterKey::new(profile, &key, &salt).unwrap()
}

fn rtp_packet(seq: u16, ssrc: u32) -> Vec<u8> {
    let mut p = vec![0x80, 0x60];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&0x0102_0304u32.to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend((0..PAYLOAD).map(|i| (i % 251) as u8));
    p
}

fn rtcp_packet(ssrc: u32) -> Vec<u8> {
    let mut p = vec![0x81, 201, 0, 7];
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend((0..24u8).map(|i| i ^ 0x3C));
    p
}

/// RFC 3711 section 4.3.1 with OpenSSL's AES-CTR: the keystream from
/// `(label XOR master_salt) * 2^16`, the AEAD salt zero-padded to 14 bytes.
fn openssl_kdf(master: &MasterKey, label: u8, len: usize) -> Vec<u8> {
    let mut iv = [0u8; 16];
    iv[..master.salt().len()].copy_from_slice(master.salt());
    iv[7] ^= label;
    let cipher = if master.key().len() == 32 {
        Cipher::aes_256_ctr()
    } else {
        Cipher::aes_128_ctr()
    };
    encrypt(cipher, master.key(), Some(&iv), &vec![0; len]).unwrap()
}

fn hmac_sha1(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let key = PKey::hmac(key).unwrap();
    let mut signer = Signer::new(MessageDigest::sha1(), &key).unwrap();
    for part in parts {
        signer.update(part).unwrap();
    }
    signer.sign_to_vec().unwrap()
}

fn aes_cm_iv(salt: &[u8], ssrc: u32, index: u64) -> [u8; 16] {
    let mut iv = [0u8; 16];
    iv[..14].copy_from_slice(salt);
    for (b, s) in iv[4..8].iter_mut().zip(ssrc.to_be_bytes()) {
        *b ^= s;
    }
    for (b, s) in iv[8..14].iter_mut().zip(&index.to_be_bytes()[2..]) {
        *b ^= s;
    }
    iv
}

/// The SRTP packet by RFC 3711 sections 3.1, 4.1.1 and 4.2.1, with OpenSSL.
fn openssl_srtp_aes_cm(master: &MasterKey, packet: &[u8], roc: u32, tag_len: usize) -> Vec<u8> {
    let key = openssl_kdf(master, 0, 16);
    let auth = openssl_kdf(master, 1, 20);
    let salt = openssl_kdf(master, 2, 14);
    let ssrc = u32::from_be_bytes(packet[8..12].try_into().unwrap());
    let seq = u16::from_be_bytes(packet[2..4].try_into().unwrap());
    let index = u64::from(roc) << 16 | u64::from(seq);
    let iv = aes_cm_iv(&salt, ssrc, index);
    let mut out = packet[..12].to_vec();
    out.extend(encrypt(Cipher::aes_128_ctr(), &key, Some(&iv), &packet[12..]).unwrap());
    let tag = hmac_sha1(&auth, &[&out, &roc.to_be_bytes()]);
    out.extend_from_slice(&tag[..tag_len]);
    out
}

/// The SRTCP packet by RFC 3711 section 3.4, with OpenSSL.
fn openssl_srtcp_aes_cm(master: &MasterKey, packet: &[u8], index: u32) -> Vec<u8> {
    let key = openssl_kdf(master, 3, 16);
    let auth = openssl_kdf(master, 4, 20);
    let salt = openssl_kdf(master, 5, 14);
    let ssrc = u32::from_be_bytes(packet[4..8].try_into().unwrap());
    let iv = aes_cm_iv(&salt, ssrc, u64::from(index));
    let mut out = packet[..8].to_vec();
    out.extend(encrypt(Cipher::aes_128_ctr(), &key, Some(&iv), &packet[8..]).unwrap());
    out.extend_from_slice(&(0x8000_0000 | index).to_be_bytes());
    let tag = hmac_sha1(&auth, &[&out]);
    out.extend_from_slice(&tag[..10]);
    out
}

fn gcm_cipher(master: &MasterKey) -> Cipher {
    if master.key().len() == 32 {
        Cipher::aes_256_gcm()
    } else {
        Cipher::aes_128_gcm()
    }
}

/// The SRTP packet by RFC 7714 section 8, with OpenSSL.
fn openssl_srtp_gcm(master: &MasterKey, packet: &[u8], roc: u32) -> Vec<u8> {
    let key = openssl_kdf(master, 0, master.key().len());
    let salt = openssl_kdf(master, 2, 12);
    let mut iv = [0u8; 12];
    iv[2..6].copy_from_slice(&packet[8..12]);
    iv[6..10].copy_from_slice(&roc.to_be_bytes());
    iv[10..12].copy_from_slice(&packet[2..4]);
    for (b, s) in iv.iter_mut().zip(&salt) {
        *b ^= s;
    }
    let mut tag = [0u8; 16];
    let ct = encrypt_aead(
        gcm_cipher(master),
        &key,
        Some(&iv),
        &packet[..12],
        &packet[12..],
        &mut tag,
    )
    .unwrap();
    let mut out = packet[..12].to_vec();
    out.extend(ct);
    out.extend_from_slice(&tag);
    out
}

/// The SRTCP packet by RFC 7714 section 9, with OpenSSL.
fn openssl_srtcp_gcm(master: &MasterKey, packet: &[u8], index: u32) -> Vec<u8> {
    let key = openssl_kdf(master, 3, master.key().len());
    let salt = openssl_kdf(master, 5, 12);
    let mut iv = [0u8; 12];
    iv[2..6].copy_from_slice(&packet[4..8]);
    iv[8..12].copy_from_slice(&index.to_be_bytes());
    for (b, s) in iv.iter_mut().zip(&salt) {
        *b ^= s;
    }
    let e_index = (0x8000_0000 | index).to_be_bytes();
    let mut aad = packet[..8].to_vec();
    aad.extend_from_slice(&e_index);
    let mut tag = [0u8; 16];
    let ct = encrypt_aead(
        gcm_cipher(master),
        &key,
        Some(&iv),
        &aad,
        &packet[8..],
        &mut tag,
    )
    .unwrap();
    let mut out = packet[..8].to_vec();
    out.extend(ct);
    out.extend_from_slice(&tag);
    out.extend_from_slice(&e_index);
    out
}

fn ours_rtp(ctx: &mut Context, packet: &[u8]) -> Vec<u8> {
    let mut buf = packet.to_vec();
    buf.resize(packet.len() + 16, 0);
    let len = ctx.protect_rtp(&mut buf, packet.len()).unwrap();
    buf.truncate(len);
    buf
}

fn ours_rtcp(ctx: &mut Context, packet: &[u8]) -> Vec<u8> {
    let mut buf = packet.to_vec();
    buf.resize(packet.len() + 20, 0);
    let len = ctx.protect_rtcp(&mut buf, packet.len()).unwrap();
    buf.truncate(len);
    buf
}

#[test]
fn srtp_openssl_every_profile_matches_byte_for_byte() {
    for profile in Profile::ALL {
        let master = key_for(profile, 0x42);
        let mut ctx = Context::new(&master);
        // Across a wrap: ROC 0 then ROC 1.
        for (seq, roc) in [(65534u16, 0u32), (65535, 0), (0, 1), (1, 1)] {
            let plain = rtp_packet(seq, 0xCAFE_F00D);
            let expected = match profile {
                Profile::AesCm128HmacSha1_80 => openssl_srtp_aes_cm(&master, &plain, roc, 10),
                Profile::AesCm128HmacSha1_32 => openssl_srtp_aes_cm(&master, &plain, roc, 4),
                _ => openssl_srtp_gcm(&master, &plain, roc),
            };
            assert_eq!(
                ours_rtp(&mut ctx, &plain),
                expected,
                "{profile:?} seq {seq}"
            );
        }
        for index in 0..3 {
            let plain = rtcp_packet(0xCAFE_F00D);
            let expected = if profile.is_aead() {
                openssl_srtcp_gcm(&master, &plain, index)
            } else {
                openssl_srtcp_aes_cm(&master, &plain, index)
            };
            assert_eq!(
                ours_rtcp(&mut ctx, &plain),
                expected,
                "{profile:?} srtcp {index}"
            );
        }
    }
}

#[test]
fn srtp_openssl_dtls_keying_material_directions() {
    // The client's local key is the server's remote key, and packets flow both ways.
    let profile = Profile::AeadAes128Gcm;
    let material: Vec<u8> = (0..profile.keying_material_len() as u8).collect();
    let client = SrtpKeys::from_keying_material(profile, &material, KeyRole::Client).unwrap();
    let server = SrtpKeys::from_keying_material(profile, &material, KeyRole::Server).unwrap();
    let mut client_tx = Context::new(&client.local);
    let mut server_rx = Context::new(&server.remote);
    let plain = rtp_packet(7, 1);
    let mut srtp = ours_rtp(&mut client_tx, &plain);
    assert_eq!(srtp, openssl_srtp_gcm(&client.local, &plain, 0));
    let len = server_rx.unprotect_rtp(&mut srtp).unwrap();
    assert_eq!(srtp[..len], plain[..]);
}

/// Packets per second of `f` over `n` iterations, from the fastest batch of 250: on a shared,
/// loaded machine a preempted batch is discarded instead of dragging the mean.
fn rate(n: u32, mut f: impl FnMut(u32)) -> f64 {
    const BATCH: u32 = 250;
    let mut best = f64::INFINITY;
    let mut i = 0;
    while i < n {
        let start = Instant::now();
        for j in i..i + BATCH {
            f(j);
        }
        best = best.min(start.elapsed().as_secs_f64());
        i += BATCH;
    }
    f64::from(BATCH) / best
}

/// Raw AES-GCM seal + open of one packet on ring, as SRTP does it.
fn raw_gcm(profile: Profile, n: u32) -> f64 {
    use ring::aead::{AES_128_GCM, AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
    let algorithm = if profile == Profile::AeadAes256Gcm {
        &AES_256_GCM
    } else {
        &AES_128_GCM
    };
    let key = LessSafeKey::new(UnboundKey::new(algorithm, &vec![7; profile.key_len()]).unwrap());
    let mut buf = rtp_packet(0, 1);
    rate(n, |i| {
        let mut iv = [0u8; 12];
        iv[8..12].copy_from_slice(&i.to_be_bytes());
        let (aad, data) = buf.split_at_mut(12);
        let tag = key
            .seal_in_place_separate_tag(Nonce::assume_unique_for_key(iv), Aad::from(&*aad), data)
            .unwrap();
        key.open_in_place_separate_tag(
            Nonce::assume_unique_for_key(iv),
            Aad::from(&*aad),
            tag,
            data,
            0..,
        )
        .unwrap();
        black_box(&buf);
    })
}

/// Raw AES-128-CTR + HMAC-SHA1 both ways over one packet, on the RustCrypto crates.
fn raw_aes_cm(n: u32) -> f64 {
    use aes::Aes128;
    use ctr::cipher::{InnerIvInit, StreamCipher, StreamCipherCoreWrapper};
    use ctr::{Ctr128BE, CtrCore};
    use hmac::{Hmac, KeyInit, Mac};
    use sha1::Sha1;
    // Keys expanded once, as a long-lived SRTP session holds them.
    let aes = Aes128::new_from_slice(&[5; 16]).unwrap();
    let mac = <Hmac<Sha1> as KeyInit>::new_from_slice(&[9; 20]).unwrap();
    let mut buf = rtp_packet(0, 1);
    rate(n, |i| {
        let mut iv = [0u8; 16];
        iv[8..12].copy_from_slice(&i.to_be_bytes());
        for _ in 0..2 {
            let core = CtrCore::inner_iv_init(aes.clone(), &iv.into());
            let mut c: Ctr128BE<Aes128> = StreamCipherCoreWrapper::from_core(core);
            c.apply_keystream(&mut buf[12..]);
            let mut m = mac.clone();
            m.update(&buf);
            m.update(&[0; 4]);
            black_box(m.finalize());
        }
    })
}

/// SRTP protect + unprotect of one packet per iteration.
fn ours(profile: Profile, n: u32) -> f64 {
    let master = key_for(profile, 1);
    let mut tx = Context::new(&master);
    let mut rx = Context::new(&master);
    let plain = rtp_packet(0, 0x1111);
    let mut buf = vec![0u8; plain.len() + 16];
    rate(n, |i| {
        buf[..plain.len()].copy_from_slice(&plain);
        buf[2..4].copy_from_slice(&(i as u16).to_be_bytes());
        let len = tx.protect_rtp(&mut buf, plain.len()).unwrap();
        let len = rx.unprotect_rtp(&mut buf[..len]).unwrap();
        black_box(len);
    })
}

#[test]
fn srtp_figures_protect_unprotect_rate() {
    // Short enough for the debug test run; the release command in the file doc gives the
    // figures worth quoting. The machine is shared: measurements alternate over several
    // rounds and each keeps its best, so a burst of other load hits all of them alike.
    let (n, rounds) = if cfg!(debug_assertions) {
        (3_000, 3)
    } else {
        (30_000, 7)
    };
    let mut raw_cm = 0f64;
    let mut raw = [0f64; 4];
    let mut srtp = [0f64; 4];
    for _ in 0..rounds {
        raw_cm = raw_cm.max(raw_aes_cm(n));
        for (i, profile) in Profile::ALL.into_iter().enumerate() {
            if profile.is_aead() {
                raw[i] = raw[i].max(raw_gcm(profile, n));
            }
            srtp[i] = srtp[i].max(ours(profile, n));
        }
    }
    println!("raw aes-128-ctr + hmac-sha1, both ways: {raw_cm:.0} packets/s");
    for (i, profile) in Profile::ALL.into_iter().enumerate() {
        let raw = if profile.is_aead() { raw[i] } else { raw_cm };
        println!(
            "{profile:?}: protect+unprotect of {PAYLOAD}-byte payloads: {:.0} packets/s, \
             {:.2} of the raw crypto ({raw:.0} packets/s)",
            srtp[i],
            srtp[i] / raw
        );
    }
}
