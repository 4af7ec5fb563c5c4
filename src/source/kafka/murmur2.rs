//! The partition Kafka's default partitioner gives a key: murmur2 of the key's bytes, made
//! positive, modulo the partition count — as the Java client's `Utils.murmur2` and
//! librdkafka's `murmur2_random` compute it, so that `--stream KEY` reads the one partition
//! the producer wrote the key's messages to.

/// Kafka's murmur2 hash (seed `0x9747b28c`) of `data`.
pub fn murmur2(data: &[u8]) -> i32 {
    const M: u32 = 0x5bd1_e995;
    const SEED: u32 = 0x9747_b28c;
    // Kafka hashes the length as a Java int: keys longer than 2 GiB do not exist.
    let mut h = SEED ^ (data.len() as u32);
    let mut words = data.chunks_exact(4);
    for word in &mut words {
        let mut k = u32::from_le_bytes([word[0], word[1], word[2], word[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> 24;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M) ^ k;
    }
    let tail = words.remainder();
    if !tail.is_empty() {
        for (i, &byte) in tail.iter().enumerate().rev() {
            h ^= u32::from(byte) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h.cast_signed()
}

/// The partition, of `partitions`, that the default partitioner assigns to `key`.
pub fn partition_of(key: &[u8], partitions: i32) -> i32 {
    let positive = murmur2(key) & 0x7fff_ffff;
    positive % partitions.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The values Kafka's own `UtilsTest.testMurmur2` holds its Java implementation to.
    #[test]
    fn murmur2_agrees_with_kafka() {
        let cases: [(&[u8], i32); 6] = [
            (b"21", -973_932_308),
            (b"foobar", -790_332_482),
            (b"a-little-bit-long-string", -985_981_536),
            (b"a-little-bit-longer-string", -1_486_304_829),
            (
                b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8",
                -58_897_971,
            ),
            (b"abc", 479_470_107),
        ];
        for (key, hash) in cases {
            assert_eq!(murmur2(key), hash, "{}", String::from_utf8_lossy(key));
        }
    }

    #[test]
    fn partitions_are_the_positive_hash_modulo_the_count() {
        // -973932308 & 0x7fffffff = 1173551340.
        assert_eq!(partition_of(b"21", 6), 1_173_551_340 % 6);
        assert_eq!(partition_of(b"21", 1), 0);
        for n in 1..20 {
            assert!((0..n).contains(&partition_of(b"order-1042", n)));
        }
    }
}
