use super::*;

fn stream_of(n: u64, limits: NodeLimits) -> Stream {
    let mut s = Stream::new();
    for i in 1..=n {
        s.append(StreamId::new(i, 0), &[b"f".as_slice(), b"v"], limits);
    }
    s
}

#[test]
fn ids_parse_order_and_step() {
    assert_eq!(StreamId::parse(b"5-3", 0), Some(StreamId::new(5, 3)));
    assert_eq!(
        StreamId::parse(b"5", u64::MAX),
        Some(StreamId::new(5, u64::MAX))
    );
    assert_eq!(StreamId::parse(b"-1", 0), None);
    assert_eq!(StreamId::parse(b"1-x", 0), None);
    assert_eq!(StreamId::parse_new(b"7-*"), Some(NewId::AutoSeq(7)));
    assert!(StreamId::new(1, 9) < StreamId::new(2, 0));
    assert_eq!(StreamId::new(1, u64::MAX).next(), Some(StreamId::new(2, 0)));
    assert_eq!(StreamId::MAX.next(), None);
    assert_eq!(StreamId::MIN.prev(), None);
}

#[test]
fn entries_pack_their_elements() {
    let big = vec![b'x'; 300];
    let e = Entry::new(StreamId::new(1, 1), &[b"a".as_slice(), b"", &big]);
    let got: Vec<&[u8]> = e.elements().collect();
    assert_eq!(got, vec![b"a".as_slice(), b"", &big]);
}

#[test]
fn next_ids_follow_redis() {
    let mut s = Stream::new();
    assert_eq!(s.next_id(NewId::AutoSeq(0), 0), Some(StreamId::new(0, 1)));
    s.append(StreamId::new(5, 5), &[b"f", b"v"], NodeLimits::default());
    assert_eq!(s.next_id(NewId::Auto, 3), Some(StreamId::new(5, 6)));
    assert_eq!(s.next_id(NewId::Auto, 9), Some(StreamId::new(9, 0)));
    assert_eq!(s.next_id(NewId::AutoSeq(5), 0), Some(StreamId::new(5, 6)));
    assert_eq!(s.next_id(NewId::Explicit(StreamId::new(5, 5)), 0), None);
}

#[test]
fn ranges_cross_nodes_both_ways() {
    let s = stream_of(
        25,
        NodeLimits {
            max_entries: 10,
            max_bytes: 0,
        },
    );
    assert_eq!(s.node_count(), 3);
    let ids: Vec<u64> = s
        .range(StreamId::new(8, 0), StreamId::new(12, 0))
        .map(|e| e.id.ms)
        .collect();
    assert_eq!(ids, vec![8, 9, 10, 11, 12]);
    let rev: Vec<u64> = s
        .rev_range(StreamId::new(8, 0), StreamId::new(12, 0))
        .map(|e| e.id.ms)
        .collect();
    assert_eq!(rev, vec![12, 11, 10, 9, 8]);
    assert_eq!(s.range(StreamId::new(9, 0), StreamId::new(3, 0)).count(), 0);
}

#[test]
fn remove_drops_empty_nodes_and_counts_tombstones_for_fullness() {
    let limits = NodeLimits {
        max_entries: 2,
        max_bytes: 0,
    };
    let mut s = stream_of(2, limits);
    assert!(s.remove(StreamId::new(1, 0)));
    assert!(!s.remove(StreamId::new(1, 0)));
    s.append(StreamId::new(3, 0), &[b"f", b"v"], limits);
    // The first node had 2 appended (one deleted): the third entry starts a new node.
    assert_eq!(s.node_count(), 2);
    assert!(s.remove(StreamId::new(2, 0)));
    assert_eq!(s.node_count(), 1);
    assert_eq!(s.len(), 1);
}

#[test]
fn approximate_trims_stop_at_node_boundaries() {
    let limits = NodeLimits {
        max_entries: 10,
        max_bytes: 0,
    };
    let mut s = stream_of(25, limits);
    assert_eq!(s.trim(Trim::MaxLen(12), TrimLimit::Approx(0)), 10);
    assert_eq!(s.len(), 15);
    assert_eq!(s.trim(Trim::MaxLen(12), TrimLimit::Exact), 3);
    assert_eq!(s.first_id(), StreamId::new(14, 0));
    assert_eq!(
        s.trim(Trim::MinId(StreamId::new(22, 0)), TrimLimit::Exact),
        8
    );
    assert_eq!(s.first_id(), StreamId::new(22, 0));
    let mut capped = stream_of(25, limits);
    assert_eq!(capped.trim(Trim::MaxLen(0), TrimLimit::Approx(15)), 10);
}

#[test]
fn groups_move_pending_entries_between_consumers() {
    let mut g = Group::new(StreamId::MIN, 0);
    g.consumer(b"a", 1);
    g.consumer(b"b", 1);
    let id = StreamId::new(1, 0);
    g.assign(id, b"a", 10, 1);
    g.assign(id, b"b", 20, 2);
    assert!(g.consumers[&b"a"[..]].pending.is_empty());
    assert_eq!(g.pending[&id].consumer.as_bytes(), b"b");
    assert_eq!(g.remove_consumer(b"b"), Some(1));
    assert!(g.pending.is_empty());
    assert!(!g.ack(id));
}

#[test]
fn lag_is_known_until_a_hole_is_ahead() {
    let mut s = stream_of(5, NodeLimits::default());
    let g = Group::new(StreamId::MIN, 0);
    assert_eq!(s.lag(&g), Some(5));
    s.remove(StreamId::new(3, 0));
    s.max_deleted_id = StreamId::new(3, 0);
    let mut g = Group::new(StreamId::MIN, INVALID_ENTRIES_READ);
    // A hole lies ahead of 0-0: the lag cannot be known.
    assert_eq!(s.lag(&g), None);
    s.advance_group(&mut g, StreamId::new(1, 0));
    assert_eq!(g.entries_read, INVALID_ENTRIES_READ);
    let mut g2 = Group::new(StreamId::new(2, 0), INVALID_ENTRIES_READ);
    assert_eq!(s.lag(&g2), None);
    s.advance_group(&mut g2, StreamId::new(5, 0));
    assert_eq!(g2.entries_read, 5);
}

#[test]
fn whole_nodes_are_pushed_in_order_only() {
    let e = |ms: u64| Entry::new(StreamId::new(ms, 0), &[b"f", b"v"]);
    let mut s = Stream::new();
    assert!(
        s.push_node(StreamId::new(1, 0), vec![], 0, StreamId::new(1, 0))
            .is_err()
    );
    // Entry 1 was deleted: the node's key and count still say it was there.
    s.push_node(
        StreamId::new(1, 0),
        vec![e(2), e(3)],
        3,
        StreamId::new(3, 0),
    )
    .unwrap();
    assert_eq!((s.len(), s.node_count()), (2, 1));
    for (master, entries, last) in [
        (3, vec![e(4)], 4), // starts at the last ID of the node before
        (4, vec![e(6), e(5)], 6),
        (5, vec![e(4)], 5), // an entry below its key
        (5, vec![e(6)], 5), // past its own last ID
    ] {
        let (master, last) = (StreamId::new(master, 0), StreamId::new(last, 0));
        assert!(s.push_node(master, entries, 1, last).is_err());
    }
    s.push_node(
        StreamId::new(4, 0),
        vec![e(4), e(5)],
        3,
        StreamId::new(6, 0),
    )
    .unwrap();
    assert_eq!(
        s.nodes().map(|(k, n)| (k.ms, n.len())).collect::<Vec<_>>(),
        [(1, 2), (4, 2)]
    );
    // The last node counts its deleted entry 6: with room for 3, it is full.
    let limits = NodeLimits {
        max_entries: 3,
        max_bytes: 0,
    };
    s.append(StreamId::new(9, 0), &[b"f", b"v"], limits);
    assert_eq!(s.node_count(), 3);
    assert_eq!(s.range(StreamId::MIN, StreamId::MAX).count(), 5);
}
