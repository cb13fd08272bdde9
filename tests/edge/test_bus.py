from flexcoop.edge.bus import Bus
from flexcoop.edge.model import Reading
from flexcoop.units import Unit, utcnow


async def test_subscribers_get_only_their_topic_and_slow_ones_drop_oldest() -> None:
    bus = Bus()
    readings = bus.subscribe(Reading, maxsize=2)
    others = bus.subscribe(str)
    for v in range(3):
        bus.publish(Reading("d", "p", float(v), Unit.W, utcnow()))
    assert readings.dropped == 1
    assert [r.value for r in readings.get_nowait_batch(10)] == [1.0, 2.0]
    assert others.get_nowait_batch(10) == []
    readings.close()
    bus.publish(Reading("d", "p", 9.0, Unit.W, utcnow()))
    assert bus.subscriber_count(Reading) == 0
