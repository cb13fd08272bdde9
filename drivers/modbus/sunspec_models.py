"""SunSpec information models as typed data: the one source of truth for driver and simulators.

Each model is a table of points (SunSpec id, offset from the model's ID register, type, unit,
scale-factor point, access). Points we expose get a canonical ``name`` (``power_w``…);
the rest are kept so offsets stay checkable and simulators can fill every register.
Offsets follow the SunSpec int+SF models (ID at offset 0, L at offset 1, data from 2).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from flexcoop.drivers.modbus.codec import DataType, RegisterType
from flexcoop.drivers.modbus.mapping import RegisterPoint
from flexcoop.edge.model import DeviceKind, Direction, Point
from flexcoop.units import Unit

SUNS_MARKER = (0x5375, 0x6E53)  # "SunS"
END_MODEL_ID = 0xFFFF
DEFAULT_BASES = (40000, 50000, 0)


class SunSpecType(StrEnum):
    INT16 = "int16"
    UINT16 = "uint16"
    COUNT = "count"
    ACC16 = "acc16"
    ACC32 = "acc32"
    ENUM16 = "enum16"
    BITFIELD16 = "bitfield16"
    BITFIELD32 = "bitfield32"
    INT32 = "int32"
    UINT32 = "uint32"
    SUNSSF = "sunssf"
    STRING = "string"
    PAD = "pad"


# Codec type and the raw value that means "not implemented". Accumulators have a documented
# sentinel of 0, but a fresh counter also reads 0, so we keep 0 as a real reading.
_CODEC: dict[SunSpecType, tuple[DataType, float | None]] = {
    SunSpecType.INT16: (DataType.INT16, -0x8000),
    SunSpecType.UINT16: (DataType.UINT16, 0xFFFF),
    SunSpecType.COUNT: (DataType.UINT16, None),
    SunSpecType.ACC16: (DataType.UINT16, None),
    SunSpecType.ACC32: (DataType.UINT32, None),
    SunSpecType.ENUM16: (DataType.UINT16, 0xFFFF),
    SunSpecType.BITFIELD16: (DataType.UINT16, 0xFFFF),
    SunSpecType.BITFIELD32: (DataType.UINT32, 0xFFFFFFFF),
    SunSpecType.INT32: (DataType.INT32, -0x80000000),
    SunSpecType.UINT32: (DataType.UINT32, 0xFFFFFFFF),
    SunSpecType.SUNSSF: (DataType.INT16, -0x8000),
    SunSpecType.STRING: (DataType.STRING, None),
    SunSpecType.PAD: (DataType.UINT16, None),
}

_UNITS: dict[str, Unit] = {
    "": Unit.NONE,
    "A": Unit.A,
    "V": Unit.V,
    "W": Unit.W,
    "Hz": Unit.HZ,
    "VA": Unit.VA,
    "var": Unit.VAR,
    "Wh": Unit.WH,
    "C": Unit.CELSIUS,
    "Pct": Unit.PERCENT,
    "Secs": Unit.SECOND,
}


@dataclass(frozen=True, slots=True)
class ModelPoint:
    id: str
    offset: int
    type: SunSpecType
    units: str = ""
    sf: str | None = None
    access: Literal["r", "rw"] = "r"
    name: str | None = None  # canonical point name; None = not exposed
    size: int = 1
    min: float | None = None
    max: float | None = None
    sf_default: int = 0  # scale factor a simulator serves when not told otherwise
    description: str = ""

    @property
    def dtype(self) -> DataType:
        return _CODEC[self.type][0]

    @property
    def sentinel(self) -> float | None:
        return _CODEC[self.type][1]

    @property
    def registers(self) -> int:
        if self.type is SunSpecType.STRING:
            return self.size
        return 2 if self.dtype in (DataType.INT32, DataType.UINT32) else 1

    @property
    def unit(self) -> Unit:
        return _UNITS.get(self.units, Unit.NONE)

    def bind(self, model_address: int, sf_address: int | None, name: str) -> RegisterPoint:
        point = Point(
            name=name,
            unit=self.unit,
            direction=Direction.READ_WRITE if self.access == "rw" else Direction.READ,
            min=self.min,
            max=self.max,
            description=self.description or f"SunSpec {self.id}",
        )
        return RegisterPoint(
            point=point,
            register=RegisterType.HOLDING,
            address=model_address + self.offset,
            dtype=self.dtype,
            sf_address=sf_address,
            sentinel=self.sentinel,
        )


@dataclass(frozen=True, slots=True)
class ModelDef:
    id: int
    name: str
    length: int  # L: registers after the ID and L registers
    points: tuple[ModelPoint, ...]
    kind: DeviceKind | None = None

    def point(self, point_id: str) -> ModelPoint:
        for p in self.points:
            if p.id == point_id:
                return p
        raise KeyError(f"model {self.id} has no point {point_id!r}")

    def fits(self, p: ModelPoint, length: int) -> bool:
        """Whether a point lies inside a model instance of ``length`` (older, shorter revisions)."""
        return p.offset + p.registers <= length + 2

    def bind(
        self, address: int, names: Mapping[str, str], length: int | None = None
    ) -> dict[str, RegisterPoint]:
        """Register points of every numeric point of an instance at ``address``, by SunSpec id.

        ``names`` maps SunSpec ids to canonical names; ids without one keep their SunSpec id.
        """
        length = self.length if length is None else length
        bound: dict[str, RegisterPoint] = {}
        for p in self.points:
            if p.type in (SunSpecType.STRING, SunSpecType.PAD) or not self.fits(p, length):
                continue
            sf_address = None
            if p.sf is not None:
                sf_point = self.point(p.sf)
                if not self.fits(sf_point, length):
                    continue
                sf_address = address + sf_point.offset
            bound[p.id] = p.bind(address, sf_address, names.get(p.id, p.id))
        return bound


def _p(
    id: str,
    offset: int,
    type: str,
    units: str = "",
    sf: str | None = None,
    name: str | None = None,
    *,
    access: Literal["r", "rw"] = "r",
    size: int = 1,
    lo: float | None = None,
    hi: float | None = None,
    sf_default: int = 0,
    description: str = "",
) -> ModelPoint:
    return ModelPoint(
        id,
        offset,
        SunSpecType(type),
        units,
        sf,
        access,
        name,
        size,
        lo,
        hi,
        sf_default,
        description,
    )


def _sf(id: str, offset: int, default: int) -> ModelPoint:
    return _p(id, offset, "sunssf", sf_default=default)


COMMON = ModelDef(
    1,
    "common",
    66,
    (
        _p("Mn", 2, "string", size=16),
        _p("Md", 18, "string", size=16),
        _p("Opt", 34, "string", size=8),
        _p("Vr", 42, "string", size=8),
        _p("SN", 50, "string", size=16),
        _p("DA", 66, "uint16", access="rw"),
        _p("Pad", 67, "pad"),
    ),
)


def _inverter(model_id: int, name: str) -> ModelDef:
    return ModelDef(
        model_id,
        name,
        50,
        (
            _p("A", 2, "uint16", "A", "A_SF", "current_a"),
            _p("AphA", 3, "uint16", "A", "A_SF", "current_l1_a"),
            _p("AphB", 4, "uint16", "A", "A_SF", "current_l2_a"),
            _p("AphC", 5, "uint16", "A", "A_SF", "current_l3_a"),
            _sf("A_SF", 6, -2),
            _p("PPVphAB", 7, "uint16", "V", "V_SF", "voltage_l1_l2_v"),
            _p("PPVphBC", 8, "uint16", "V", "V_SF", "voltage_l2_l3_v"),
            _p("PPVphCA", 9, "uint16", "V", "V_SF", "voltage_l3_l1_v"),
            _p("PhVphA", 10, "uint16", "V", "V_SF", "voltage_l1_v"),
            _p("PhVphB", 11, "uint16", "V", "V_SF", "voltage_l2_v"),
            _p("PhVphC", 12, "uint16", "V", "V_SF", "voltage_l3_v"),
            _sf("V_SF", 13, -1),
            _p("W", 14, "int16", "W", "W_SF", "power_w", description="AC power output"),
            _sf("W_SF", 15, 0),
            _p("Hz", 16, "uint16", "Hz", "Hz_SF", "frequency_hz"),
            _sf("Hz_SF", 17, -2),
            _p("VA", 18, "int16", "VA", "VA_SF", "apparent_power_va"),
            _sf("VA_SF", 19, 0),
            _p("VAr", 20, "int16", "var", "VAr_SF", "reactive_power_var"),
            _sf("VAr_SF", 21, 0),
            _p("PF", 22, "int16", "Pct", "PF_SF", "power_factor_pct"),
            _sf("PF_SF", 23, -1),
            _p("WH", 24, "acc32", "Wh", "WH_SF", "energy_wh", description="AC energy produced"),
            _sf("WH_SF", 26, 0),
            _p("DCA", 27, "uint16", "A", "DCA_SF", "dc_current_a"),
            _sf("DCA_SF", 28, -2),
            _p("DCV", 29, "uint16", "V", "DCV_SF", "dc_voltage_v"),
            _sf("DCV_SF", 30, -1),
            _p("DCW", 31, "int16", "W", "DCW_SF", "dc_power_w"),
            _sf("DCW_SF", 32, 0),
            _p("TmpCab", 33, "int16", "C", "Tmp_SF", "cabinet_temp_c"),
            _p("TmpSnk", 34, "int16", "C", "Tmp_SF", "heat_sink_temp_c"),
            _p("TmpTrns", 35, "int16", "C", "Tmp_SF", "transformer_temp_c"),
            _p("TmpOt", 36, "int16", "C", "Tmp_SF", "other_temp_c"),
            _sf("Tmp_SF", 37, -1),
            _p("St", 38, "enum16", name="operating_state", description="SunSpec operating state"),
            _p("StVnd", 39, "enum16"),
            _p("Evt1", 40, "bitfield32", name="event_flags"),
            _p("Evt2", 42, "bitfield32"),
            _p("EvtVnd1", 44, "bitfield32"),
            _p("EvtVnd2", 46, "bitfield32"),
            _p("EvtVnd3", 48, "bitfield32"),
            _p("EvtVnd4", 50, "bitfield32"),
        ),
        DeviceKind.PV_INVERTER,
    )


NAMEPLATE = ModelDef(
    120,
    "nameplate",
    26,
    (
        _p("DERTyp", 2, "enum16", name="der_type", description="4 = PV, 82 = PV + storage"),
        _p(
            "WRtg",
            3,
            "uint16",
            "W",
            "WRtg_SF",
            "rated_power_w",
            description="continuous power rating",
        ),
        _sf("WRtg_SF", 4, 0),
        _p("VARtg", 5, "uint16", "VA", "VARtg_SF", "rated_apparent_power_va"),
        _sf("VARtg_SF", 6, 0),
        _p("VArRtgQ1", 7, "int16", "var", "VArRtg_SF"),
        _p("VArRtgQ2", 8, "int16", "var", "VArRtg_SF"),
        _p("VArRtgQ3", 9, "int16", "var", "VArRtg_SF"),
        _p("VArRtgQ4", 10, "int16", "var", "VArRtg_SF"),
        _sf("VArRtg_SF", 11, 0),
        _p("ARtg", 12, "uint16", "A", "ARtg_SF", "rated_current_a"),
        _sf("ARtg_SF", 13, -1),
        _p("PFRtgQ1", 14, "int16", "", "PFRtg_SF"),
        _p("PFRtgQ2", 15, "int16", "", "PFRtg_SF"),
        _p("PFRtgQ3", 16, "int16", "", "PFRtg_SF"),
        _p("PFRtgQ4", 17, "int16", "", "PFRtg_SF"),
        _sf("PFRtg_SF", 18, -3),
        _p(
            "WHRtg",
            19,
            "uint16",
            "Wh",
            "WHRtg_SF",
            "rated_energy_wh",
            description="usable storage capacity",
        ),
        _sf("WHRtg_SF", 20, 0),
        _p("AhrRtg", 21, "uint16", "", "AhrRtg_SF"),
        _sf("AhrRtg_SF", 22, 0),
        _p("MaxChaRte", 23, "uint16", "W", "MaxChaRte_SF", "max_charge_rate_w"),
        _sf("MaxChaRte_SF", 24, 0),
        _p("MaxDisChaRte", 25, "uint16", "W", "MaxDisChaRte_SF", "max_discharge_rate_w"),
        _sf("MaxDisChaRte_SF", 26, 0),
        _p("Pad", 27, "pad"),
    ),
)

IMMEDIATE_CONTROLS = ModelDef(
    123,
    "immediate_controls",
    24,
    (
        _p("Conn_WinTms", 2, "uint16", "Secs", access="rw"),
        _p("Conn_RvrtTms", 3, "uint16", "Secs", access="rw"),
        _p(
            "Conn",
            4,
            "enum16",
            name="connected",
            access="rw",
            lo=0,
            hi=1,
            description="1 = connected to the grid, 0 = disconnected",
        ),
        _p(
            "WMaxLimPct",
            5,
            "uint16",
            "Pct",
            "WMaxLimPct_SF",
            "power_limit_pct",
            access="rw",
            lo=0,
            hi=100,
            description="active power limit in % of WMax",
        ),
        _p("WMaxLimPct_WinTms", 6, "uint16", "Secs", access="rw"),
        _p(
            "WMaxLimPct_RvrtTms",
            7,
            "uint16",
            "Secs",
            name="power_limit_revert_s",
            access="rw",
            lo=0,
            hi=65534,
        ),
        _p("WMaxLimPct_RmpTms", 8, "uint16", "Secs", access="rw"),
        _p("WMaxLim_Ena", 9, "enum16", name="power_limit_enabled", access="rw", lo=0, hi=1),
        _p("OutPFSet", 10, "int16", "", "OutPFSet_SF", access="rw"),
        _p("OutPFSet_WinTms", 11, "uint16", "Secs", access="rw"),
        _p("OutPFSet_RvrtTms", 12, "uint16", "Secs", access="rw"),
        _p("OutPFSet_RmpTms", 13, "uint16", "Secs", access="rw"),
        _p("OutPFSet_Ena", 14, "enum16", access="rw"),
        _p("VArWMaxPct", 15, "int16", "Pct", "VArPct_SF", access="rw"),
        _p("VArMaxPct", 16, "int16", "Pct", "VArPct_SF", access="rw"),
        _p("VArAvalPct", 17, "int16", "Pct", "VArPct_SF", access="rw"),
        _p("VArPct_WinTms", 18, "uint16", "Secs", access="rw"),
        _p("VArPct_RvrtTms", 19, "uint16", "Secs", access="rw"),
        _p("VArPct_RmpTms", 20, "uint16", "Secs", access="rw"),
        _p("VArPct_Mod", 21, "enum16", access="rw"),
        _p("VArPct_Ena", 22, "enum16", access="rw"),
        _sf("WMaxLimPct_SF", 23, 0),
        _sf("OutPFSet_SF", 24, -3),
        _sf("VArPct_SF", 25, 0),
    ),
)

STORAGE = ModelDef(
    124,
    "storage",
    24,
    (
        _p(
            "WChaMax",
            2,
            "uint16",
            "W",
            "WChaMax_SF",
            "max_charge_power_w",
            access="rw",
            lo=0,
            description="setpoint for maximum charge power",
        ),
        _p("WChaGra", 3, "uint16", "Pct", "WChaDisChaGra_SF", access="rw"),
        _p("WDisChaGra", 4, "uint16", "Pct", "WChaDisChaGra_SF", access="rw"),
        _p(
            "StorCtl_Mod",
            5,
            "bitfield16",
            name="storage_control_mode",
            access="rw",
            lo=0,
            hi=3,
            description="bit 0: charge limit active, bit 1: discharge limit active",
        ),
        _p("VAChaMax", 6, "uint16", "VA", "VAChaMax_SF", access="rw"),
        _p(
            "MinRsvPct",
            7,
            "uint16",
            "Pct",
            "MinRsvPct_SF",
            "min_reserve_pct",
            access="rw",
            lo=0,
            hi=100,
        ),
        _p("ChaState", 8, "uint16", "Pct", "ChaState_SF", "soc_pct", description="state of charge"),
        _p("StorAval", 9, "uint16", "", "StorAval_SF"),
        _p("InBatV", 10, "uint16", "V", "InBatV_SF", "battery_voltage_v"),
        _p("ChaSt", 11, "enum16", name="charge_status"),
        _p(
            "OutWRte",
            12,
            "int16",
            "Pct",
            "InOutWRte_SF",
            "discharge_rate_pct",
            access="rw",
            lo=-100,
            hi=100,
            description="discharge rate in % of the maximum discharge rate",
        ),
        _p(
            "InWRte",
            13,
            "int16",
            "Pct",
            "InOutWRte_SF",
            "charge_rate_pct",
            access="rw",
            lo=-100,
            hi=100,
            description="charge rate in % of the maximum charge rate (WChaMax)",
        ),
        _p("InOutWRte_WinTms", 14, "uint16", "Secs", access="rw"),
        _p("InOutWRte_RvrtTms", 15, "uint16", "Secs", access="rw"),
        _p("InOutWRte_RmpTms", 16, "uint16", "Secs", access="rw"),
        _p(
            "ChaGriSet",
            17,
            "enum16",
            name="grid_charging",
            access="rw",
            lo=0,
            hi=1,
            description="0 = charge from PV only, 1 = grid charging allowed",
        ),
        _sf("WChaMax_SF", 18, 0),
        _sf("WChaDisChaGra_SF", 19, 0),
        _sf("VAChaMax_SF", 20, 0),
        _sf("MinRsvPct_SF", 21, 0),
        _sf("ChaState_SF", 22, -1),
        _sf("StorAval_SF", 23, -1),
        _sf("InBatV_SF", 24, -1),
        _sf("InOutWRte_SF", 25, 0),
    ),
    DeviceKind.BATTERY,
)


def _meter(model_id: int, name: str) -> ModelDef:
    phases = ("A", "B", "C")
    ll_prefix = "PPVph" if model_id == 201 else "PhVph"
    points: list[ModelPoint] = [
        _p("A", 2, "int16", "A", "A_SF", "current_a"),
        *(
            _p(f"Aph{ph}", 3 + i, "int16", "A", "A_SF", f"current_l{i + 1}_a")
            for i, ph in enumerate(phases)
        ),
        _sf("A_SF", 6, -2),
        _p("PhV", 7, "int16", "V", "V_SF", "voltage_v"),
        *(
            _p(f"PhVph{ph}", 8 + i, "int16", "V", "V_SF", f"voltage_l{i + 1}_v")
            for i, ph in enumerate(phases)
        ),
        _p("PPV", 11, "int16", "V", "V_SF", "voltage_ll_v"),
        # Model 201 spells its line-to-line voltages PPVph…, 202–204 spell them PhVph….
        *(
            _p(f"{ll_prefix}{pair}", 12 + i, "int16", "V", "V_SF", name)
            for i, (pair, name) in enumerate(
                (("AB", "voltage_l1_l2_v"), ("BC", "voltage_l2_l3_v"), ("CA", "voltage_l3_l1_v"))
            )
        ),
        _sf("V_SF", 15, -1),
        _p("Hz", 16, "int16", "Hz", "Hz_SF", "frequency_hz"),
        _sf("Hz_SF", 17, -2),
        _p(
            "W",
            18,
            "int16",
            "W",
            "W_SF",
            "power_w",
            description="total real power, positive = import from the grid",
        ),
        *(
            _p(f"Wph{ph}", 19 + i, "int16", "W", "W_SF", f"power_l{i + 1}_w")
            for i, ph in enumerate(phases)
        ),
        _sf("W_SF", 22, 0),
        _p("VA", 23, "int16", "VA", "VA_SF", "apparent_power_va"),
        *(_p(f"VAph{ph}", 24 + i, "int16", "VA", "VA_SF") for i, ph in enumerate(phases)),
        _sf("VA_SF", 27, 0),
        _p("VAR", 28, "int16", "var", "VAR_SF", "reactive_power_var"),
        *(_p(f"VARph{ph}", 29 + i, "int16", "var", "VAR_SF") for i, ph in enumerate(phases)),
        _sf("VAR_SF", 32, 0),
        _p("PF", 33, "int16", "Pct", "PF_SF", "power_factor_pct"),
        *(_p(f"PFph{ph}", 34 + i, "int16", "Pct", "PF_SF") for i, ph in enumerate(phases)),
        _sf("PF_SF", 37, -1),
    ]
    # Energy accumulators: Wh export/import, VAh export/import, varh per quadrant; each block is
    # a total and three phases, followed by its scale factor.
    blocks = (
        ("TotWh", "Wh", 38, (("Exp", "export_energy_wh"), ("Imp", "import_energy_wh"))),
        ("TotVAh", "", 55, (("Exp", None), ("Imp", None))),
        ("TotVArh", "", 72, (("ImpQ1", None), ("ImpQ2", None), ("ExpQ3", None), ("ExpQ4", None))),
    )
    for prefix, units, start, groups in blocks:
        offset = start
        for suffix, canonical in groups:
            stem = f"{prefix}{suffix}"
            points.append(_p(stem, offset, "acc32", units, f"{prefix}_SF", canonical))
            for i, ph in enumerate(phases):
                points.append(
                    _p(f"{stem}Ph{ph}", offset + 2 * (i + 1), "acc32", units, f"{prefix}_SF")
                )
            offset += 8
        points.append(_sf(f"{prefix}_SF", offset, 0))
    points.append(_p("Evt", 105, "bitfield32", name="event_flags"))
    return ModelDef(model_id, name, 105, tuple(points), DeviceKind.METER)


MODELS: dict[int, ModelDef] = {
    m.id: m
    for m in (
        COMMON,
        _inverter(101, "inverter_single_phase"),
        _inverter(102, "inverter_split_phase"),
        _inverter(103, "inverter_three_phase"),
        NAMEPLATE,
        IMMEDIATE_CONTROLS,
        STORAGE,
        _meter(201, "meter_single_phase"),
        _meter(202, "meter_split_phase"),
        _meter(203, "meter_wye"),
        _meter(204, "meter_delta"),
    )
}


@dataclass(frozen=True, slots=True)
class ModelInstance:
    """One model found in (or served on) a device: its id, ID-register address and length."""

    model_id: int
    address: int
    length: int

    @property
    def definition(self) -> ModelDef | None:
        return MODELS.get(self.model_id)

    @property
    def end(self) -> int:
        return self.address + 2 + self.length


def point_names(instances: Sequence[ModelInstance]) -> list[dict[str, str]]:
    """Canonical names per instance (by SunSpec id), unique across the whole device.

    The first model to use a name keeps it; later ones (a meter behind an inverter, a second
    meter) are prefixed ``m<model id>.`` and, if still taken, ``m<model id>_<n>.``.
    """
    taken: set[str] = set()
    out: list[dict[str, str]] = []
    for inst in instances:
        names: dict[str, str] = {}
        definition = inst.definition
        if definition is not None and inst.model_id != COMMON.id:
            for p in definition.points:
                if p.name is None:
                    continue
                name, n = p.name, 1
                while name in taken:
                    name = (
                        f"m{inst.model_id}.{p.name}"
                        if n == 1
                        else (f"m{inst.model_id}_{n}.{p.name}")
                    )
                    n += 1
                taken.add(name)
                names[p.id] = name
        out.append(names)
    return out


def device_kind(model_ids: Sequence[int]) -> DeviceKind:
    """Storage makes a battery (hybrid inverters too), then inverters, then meters."""
    kinds = {MODELS[m].kind for m in model_ids if m in MODELS}
    for kind in (DeviceKind.BATTERY, DeviceKind.PV_INVERTER, DeviceKind.METER):
        if kind in kinds:
            return kind
    return DeviceKind.OTHER
