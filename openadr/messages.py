"""Typed OpenADR 2.0b messages (pydantic v2): one class per oadrSignedObject payload.

Conventions: snake_case fields, tz-aware UTC datetimes (naive ones are rejected), ``timedelta``
durations in whole seconds, enumerations as ``StrEnum`` where the XSD closes the set and plain
``str`` checked against the known values or an ``x-`` extension where the XSD leaves it open.
Every class carries ``message_type``: the XML element name inside ``oadrSignedObject``.
``flexcoop.openadr.codec`` turns these into XSD-valid XML and back.

XML signatures (``ds:Signature``) are out of scope for now: transport security is mTLS.
"""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta
from enum import IntEnum, StrEnum
from functools import lru_cache
from typing import Annotated, ClassVar, get_args

from lxml import etree
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from flexcoop.units import Unit, UnitError

# --------------------------------------------------------------------------- scalar types


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _whole_seconds(value: timedelta) -> timedelta:
    if value.microseconds:
        raise ValueError(f"duration {value} has a fraction of a second (2.0b allows whole seconds)")
    return value


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
Duration = Annotated[timedelta, AfterValidator(_whole_seconds)]


def new_id() -> str:
    """A fresh identifier for requestID / optID / reportRequestID and friends."""
    return uuid.uuid4().hex


def _open_enum(known: type[StrEnum]) -> AfterValidator:
    """Accept a known member or an ``x-`` extension token, as the XSD unions do."""
    values = {m.value for m in known}

    def check(value: str) -> str:
        value = value.strip()  # the XSD types are tokens: surrounding whitespace is not data
        if value in values or (
            value.startswith("x-") and len(value) > 2 and not value[2].isspace()
        ):
            return value
        raise ValueError(f"{value!r} is not one of {sorted(values)} nor an 'x-' extension")

    return AfterValidator(check)


class ResponseCode(IntEnum):
    """eiResponse codes of the OpenADR 2.0b profile specification (§8.5)."""

    OK = 200
    BAD_REQUEST = 400
    OUT_OF_SEQUENCE = 450
    NOT_ALLOWED = 451
    INVALID_ID = 452
    NOT_RECOGNIZED = 453
    INVALID_DATA = 454
    COMPLIANCE_ERROR = 459
    SIGNAL_NOT_SUPPORTED = 460
    REPORT_NOT_SUPPORTED = 461
    TARGET_MISMATCH = 462
    NOT_REGISTERED_OR_AUTHORIZED = 463
    DEPLOYMENT_ERROR_OR_OTHER_ERROR = 469
    INTERNAL_ERROR = 500


class EventStatus(StrEnum):
    NONE = "none"
    FAR = "far"
    NEAR = "near"
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class SignalType(StrEnum):
    DELTA = "delta"
    LEVEL = "level"
    MULTIPLIER = "multiplier"
    PRICE = "price"
    PRICE_MULTIPLIER = "priceMultiplier"
    PRICE_RELATIVE = "priceRelative"
    SETPOINT = "setpoint"
    X_LOAD_CONTROL_CAPACITY = "x-loadControlCapacity"
    X_LOAD_CONTROL_LEVEL_OFFSET = "x-loadControlLevelOffset"
    X_LOAD_CONTROL_PERCENT_OFFSET = "x-loadControlPercentOffset"
    X_LOAD_CONTROL_SETPOINT = "x-loadControlSetpoint"


class SignalName(StrEnum):
    SIMPLE = "SIMPLE"
    SIMPLE_LOWER = "simple"
    ELECTRICITY_PRICE = "ELECTRICITY_PRICE"
    ENERGY_PRICE = "ENERGY_PRICE"
    DEMAND_CHARGE = "DEMAND_CHARGE"
    BID_PRICE = "BID_PRICE"
    BID_LOAD = "BID_LOAD"
    BID_ENERGY = "BID_ENERGY"
    CHARGE_STATE = "CHARGE_STATE"
    LOAD_DISPATCH = "LOAD_DISPATCH"
    LOAD_CONTROL = "LOAD_CONTROL"


class OptType(StrEnum):
    OPT_IN = "optIn"
    OPT_OUT = "optOut"


class OptReason(StrEnum):
    ECONOMIC = "economic"
    EMERGENCY = "emergency"
    MUST_RUN = "mustRun"
    NOT_PARTICIPATING = "notParticipating"
    OUTAGE_RUN_STATUS = "outageRunStatus"
    OVERRIDE_STATUS = "overrideStatus"
    PARTICIPATING = "participating"
    X_SCHEDULE = "x-schedule"


class ResponseRequired(StrEnum):
    ALWAYS = "always"
    NEVER = "never"


class ProfileName(StrEnum):
    A = "2.0a"
    B = "2.0b"


class TransportName(StrEnum):
    SIMPLE_HTTP = "simpleHttp"
    XMPP = "xmpp"


class ServiceName(StrEnum):
    EI_EVENT = "EiEvent"
    EI_OPT = "EiOpt"
    EI_REPORT = "EiReport"
    EI_REGISTER_PARTY = "EiRegisterParty"
    OADR_POLL = "OadrPoll"


class ReportName(StrEnum):
    METADATA_HISTORY_USAGE = "METADATA_HISTORY_USAGE"
    HISTORY_USAGE = "HISTORY_USAGE"
    METADATA_HISTORY_GREENBUTTON = "METADATA_HISTORY_GREENBUTTON"
    HISTORY_GREENBUTTON = "HISTORY_GREENBUTTON"
    METADATA_TELEMETRY_USAGE = "METADATA_TELEMETRY_USAGE"
    TELEMETRY_USAGE = "TELEMETRY_USAGE"
    METADATA_TELEMETRY_STATUS = "METADATA_TELEMETRY_STATUS"
    TELEMETRY_STATUS = "TELEMETRY_STATUS"


class ReportType(StrEnum):
    READING = "reading"
    USAGE = "usage"
    DEMAND = "demand"
    SET_POINT = "setPoint"
    DELTA_USAGE = "deltaUsage"
    DELTA_SET_POINT = "deltaSetPoint"
    DELTA_DEMAND = "deltaDemand"
    BASELINE = "baseline"
    DEVIATION = "deviation"
    AVG_USAGE = "avgUsage"
    AVG_DEMAND = "avgDemand"
    OPERATING_STATE = "operatingState"
    UP_REGULATION_CAPACITY_AVAILABLE = "upRegulationCapacityAvailable"
    DOWN_REGULATION_CAPACITY_AVAILABLE = "downRegulationCapacityAvailable"
    REGULATION_SETPOINT = "regulationSetpoint"
    STORED_ENERGY = "storedEnergy"
    TARGET_ENERGY_STORAGE = "targetEnergyStorage"
    AVAILABLE_ENERGY_STORAGE = "availableEnergyStorage"
    PRICE = "price"
    LEVEL = "level"
    POWER_FACTOR = "powerFactor"
    PERCENT_USAGE = "percentUsage"
    PERCENT_DEMAND = "percentDemand"
    X_RESOURCE_STATUS = "x-resourceStatus"


class ReadingType(StrEnum):
    DIRECT_READ = "Direct Read"
    NET = "Net"
    ALLOCATED = "Allocated"
    ESTIMATED = "Estimated"
    SUMMED = "Summed"
    DERIVED = "Derived"
    MEAN = "Mean"
    PEAK = "Peak"
    HYBRID = "Hybrid"
    CONTRACT = "Contract"
    PROJECTED = "Projected"
    X_RMS = "x-RMS"
    X_NOT_APPLICABLE = "x-notApplicable"


class DataQuality(StrEnum):
    NO_VALUE = "No Quality - No Value"
    PREVIOUS_VALUE_USED = "No New Value - Previous Value Used"
    BAD_NON_SPECIFIC = "Quality Bad - Non Specific"
    BAD_CONFIGURATION_ERROR = "Quality Bad - Configuration Error"
    BAD_NOT_CONNECTED = "Quality Bad - Not Connected"
    BAD_DEVICE_FAILURE = "Quality Bad - Device Failure"
    BAD_SENSOR_FAILURE = "Quality Bad - Sensor Failure"
    BAD_LAST_KNOWN_VALUE = "Quality Bad - Last Known Value"
    BAD_COMM_FAILURE = "Quality Bad - Comm Failure"
    BAD_OUT_OF_SERVICE = "Quality Bad - Out of Service"
    UNCERTAIN_NON_SPECIFIC = "Quality Uncertain - Non Specific"
    UNCERTAIN_LAST_USABLE_VALUE = "Quality Uncertain - Last Usable Value"
    UNCERTAIN_SENSOR_NOT_ACCURATE = "Quality Uncertain - Sensor Not Accurate"
    UNCERTAIN_EU_UNITS_EXCEEDED = "Quality Uncertain - EU Units Exceeded"
    UNCERTAIN_SUB_NORMAL = "Quality Uncertain - Sub Normal"
    GOOD_NON_SPECIFIC = "Quality Good - Non Specific"
    GOOD_LOCAL_OVERRIDE = "Quality Good - Local Override"
    LIMIT_FIELD_NOT = "Quality Limit - Field/Not"
    LIMIT_FIELD_LOW = "Quality Limit - Field/Low"
    LIMIT_FIELD_HIGH = "Quality Limit - Field/High"
    LIMIT_FIELD_CONSTANT = "Quality Limit - Field/Constant"


# xs:anyURI exactly as libxml2 (and so our XSD validation) judges it, from a one-element schema
# of our own: hand-written RFC 3986 checks disagreed with it on corner cases.
_ANY_URI = etree.XMLSchema(
    etree.XML(
        b'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
        b'<xs:element name="u" type="xs:anyURI"/></xs:schema>'
    )
)
_ANY_URI_LOCK = threading.Lock()  # a compiled schema keeps per-call state (its error log)


@lru_cache(maxsize=1024)
def _is_any_uri(value: str) -> bool:
    element = etree.Element("u")
    try:
        element.text = value
    except ValueError:  # characters XML cannot carry
        return False
    with _ANY_URI_LOCK:
        return bool(_ANY_URI.validate(element))


def _check_uri(value: str) -> str:
    if not _is_any_uri(value):
        raise ValueError(f"{value!r} is not a URI (xs:anyURI), e.g. 'http://coop.example/market'")
    return value


Uri = Annotated[str, AfterValidator(_check_uri)]
SignalNameStr = Annotated[str, _open_enum(SignalName)]
OptReasonStr = Annotated[str, _open_enum(OptReason)]
ReportNameStr = Annotated[str, _open_enum(ReportName)]
ReportTypeStr = Annotated[str, _open_enum(ReportType)]
ReadingTypeStr = Annotated[str, _open_enum(ReadingType)]
DataQualityStr = Annotated[str, _open_enum(DataQuality)]


UINT_MAX = 2**32 - 1  # xs:unsignedInt

# The ISO 4217 codes the 2.0b schema enumerates for currency itemUnits (its 2010 code list).
ISO_4217 = frozenset(
    (
        "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL "
        "BSD BTN BWP BYR BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF "
        "DKK DOP DZD EEK EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GWP GYD HKD HNL "
        "HRK HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT "
        "LAK LBP LKR LRD LSL LTL LVL LYD MAD MDL MGA MKD MMK MNT MOP MRO MUR MVR MWK MXN MXV "
        "MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF "
        "SAR SBD SCR SDG SEK SGD SHP SLL SOS SRD STD SVC SYP SZL THB TJS TMT TND TOP TRY TTD "
        "TWD TZS UAH UGX USD USN USS UYI UYU UZS VEF VND VUV WST XAF XAG XAU XBA XBB XBC XBD "
        "XCD XDR XFU XOF XPD XPF XPT XTS XXX YER ZAR ZMK ZWL"
    ).split()
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------- EMIX item bases


class SiScaleCode(StrEnum):
    PICO = "p"
    NANO = "n"
    MICRO = "micro"
    MILLI = "m"
    CENTI = "c"
    DECI = "d"
    KILO = "k"
    MEGA = "M"
    GIGA = "G"
    TERA = "T"
    NONE = "none"

    @property
    def factor(self) -> float:
        return _SI_FACTORS[self]


_SI_FACTORS = {
    SiScaleCode.PICO: 1e-12,
    SiScaleCode.NANO: 1e-9,
    SiScaleCode.MICRO: 1e-6,
    SiScaleCode.MILLI: 1e-3,
    SiScaleCode.CENTI: 1e-2,
    SiScaleCode.DECI: 1e-1,
    SiScaleCode.KILO: 1e3,
    SiScaleCode.MEGA: 1e6,
    SiScaleCode.GIGA: 1e9,
    SiScaleCode.TERA: 1e12,
    SiScaleCode.NONE: 1.0,
}


class ItemKind(StrEnum):
    """The substitution-group element used for ``emix:itemBase`` (its XML element name)."""

    POWER_REAL = "powerReal"
    POWER_REACTIVE = "powerReactive"
    POWER_APPARENT = "powerApparent"
    ENERGY_REAL = "energyReal"
    ENERGY_REACTIVE = "energyReactive"
    ENERGY_APPARENT = "energyApparent"
    VOLTAGE = "voltage"
    CURRENT = "current"
    FREQUENCY = "frequency"
    TEMPERATURE = "temperature"
    CURRENCY = "currency"
    CURRENCY_PER_KWH = "currencyPerKWh"
    CURRENCY_PER_KW = "currencyPerKW"
    CURRENCY_PER_THM = "currencyPerThm"
    THERM = "Therm"
    PULSE_COUNT = "pulseCount"
    CUSTOM = "customUnit"


class ItemKindInfo(BaseModel):
    """XSD facts about one item kind: the fixed description, default units, extra elements."""

    model_config = ConfigDict(frozen=True)
    namespace: str  # "power" or "oadr"
    description: str  # the fixed (or, for currencies/custom, default) itemDescription
    units: str
    description_fixed: bool
    units_fixed: bool
    power_attributes: bool = False
    si_scale: bool = True
    pulse_factor: bool = False


ITEM_KINDS: dict[ItemKind, ItemKindInfo] = {
    ItemKind.POWER_REAL: ItemKindInfo(
        namespace="power",
        description="RealPower",
        units="W",
        description_fixed=True,
        units_fixed=False,
        power_attributes=True,
    ),
    ItemKind.POWER_REACTIVE: ItemKindInfo(
        namespace="power",
        description="ReactivePower",
        units="VAR",
        description_fixed=True,
        units_fixed=True,
        power_attributes=True,
    ),
    ItemKind.POWER_APPARENT: ItemKindInfo(
        namespace="power",
        description="ApparentPower",
        units="VA",
        description_fixed=True,
        units_fixed=True,
        power_attributes=True,
    ),
    ItemKind.ENERGY_REAL: ItemKindInfo(
        namespace="power",
        description="RealEnergy",
        units="Wh",
        description_fixed=True,
        units_fixed=True,
    ),
    ItemKind.ENERGY_REACTIVE: ItemKindInfo(
        namespace="power",
        description="ReactiveEnergy",
        units="VARh",
        description_fixed=True,
        units_fixed=True,
    ),
    ItemKind.ENERGY_APPARENT: ItemKindInfo(
        namespace="power",
        description="ApparentEnergy",
        units="VAh",
        description_fixed=True,
        units_fixed=True,
    ),
    ItemKind.VOLTAGE: ItemKindInfo(
        namespace="power",
        description="Voltage",
        units="V",
        description_fixed=True,
        units_fixed=True,
    ),
    ItemKind.CURRENT: ItemKindInfo(
        namespace="oadr", description="Current", units="A", description_fixed=True, units_fixed=True
    ),
    ItemKind.FREQUENCY: ItemKindInfo(
        namespace="oadr",
        description="Frequency",
        units="Hz",
        description_fixed=True,
        units_fixed=True,
    ),
    ItemKind.TEMPERATURE: ItemKindInfo(
        namespace="oadr",
        description="temperature",
        units="celsius",
        description_fixed=True,
        units_fixed=False,
    ),
    ItemKind.CURRENCY: ItemKindInfo(
        namespace="oadr",
        description="currency",
        units="EUR",
        description_fixed=False,
        units_fixed=False,
    ),
    ItemKind.CURRENCY_PER_KWH: ItemKindInfo(
        namespace="oadr",
        description="currencyPerKWh",
        units="EUR",
        description_fixed=False,
        units_fixed=False,
    ),
    ItemKind.CURRENCY_PER_KW: ItemKindInfo(
        namespace="oadr",
        description="currencyPerKW",
        units="EUR",
        description_fixed=False,
        units_fixed=False,
    ),
    ItemKind.CURRENCY_PER_THM: ItemKindInfo(
        namespace="oadr",
        description="currency",
        units="EUR",
        description_fixed=False,
        units_fixed=False,
    ),
    ItemKind.THERM: ItemKindInfo(
        namespace="oadr", description="Therm", units="thm", description_fixed=True, units_fixed=True
    ),
    ItemKind.PULSE_COUNT: ItemKindInfo(
        namespace="oadr",
        description="pulse count",
        units="count",
        description_fixed=True,
        units_fixed=True,
        si_scale=False,
        pulse_factor=True,
    ),
    ItemKind.CUSTOM: ItemKindInfo(
        namespace="oadr", description="custom", units="", description_fixed=False, units_fixed=False
    ),
}

_CURRENCY_DESCRIPTIONS = {"currency", "currencyPerKW", "currencyPerKWh"}


class PowerAttributes(_Model):
    hertz: float = Field(default=50.0, allow_inf_nan=False)  # xs:decimal: no INF/NaN
    voltage: float = Field(default=230.0, allow_inf_nan=False)
    ac: bool = True


class ItemBase(_Model):
    """An EMIX unit description (``emix:itemBase`` substitution), e.g. real power in kW.

    Build with the class methods (``ItemBase.power_real(SiScaleCode.KILO)``) and map values to
    our canonical units with :meth:`to_canonical`.
    """

    kind: ItemKind
    description: str = ""
    units: str = ""
    si_scale_code: SiScaleCode = SiScaleCode.NONE
    power_attributes: PowerAttributes | None = None
    pulse_factor: float | None = None

    @model_validator(mode="after")
    def _check_against_xsd(self) -> ItemBase:
        info = ITEM_KINDS[self.kind]
        if not self.description:
            self.description = info.description
        if not self.units and self.kind is not ItemKind.CUSTOM:
            self.units = info.units
        if info.description_fixed and self.description != info.description:
            raise ValueError(f"{self.kind.value} itemDescription must be {info.description!r}")
        if info.units_fixed and self.units != info.units:
            raise ValueError(f"{self.kind.value} itemUnits must be {info.units!r}")
        if self.kind is ItemKind.POWER_REAL and self.units not in ("W", "J/s"):
            raise ValueError("powerReal itemUnits must be 'W' or 'J/s'")
        if self.kind is ItemKind.TEMPERATURE and self.units not in ("celsius", "fahrenheit"):
            raise ValueError("temperature itemUnits must be 'celsius' or 'fahrenheit'")
        if info.namespace == "oadr" and self.kind.value.startswith("currency"):
            if self.description not in _CURRENCY_DESCRIPTIONS:
                raise ValueError(
                    f"currency itemDescription must be one of {sorted(_CURRENCY_DESCRIPTIONS)}"
                )
            if self.units not in ISO_4217:
                raise ValueError(f"currency itemUnits must be an ISO 4217 code, not {self.units!r}")
        if info.power_attributes and self.power_attributes is None:
            self.power_attributes = PowerAttributes()
        if not info.power_attributes and self.power_attributes is not None:
            raise ValueError(f"{self.kind.value} has no power attributes")
        if info.pulse_factor and self.pulse_factor is None:
            raise ValueError("pulseCount needs pulse_factor (kWh per count)")
        if not info.pulse_factor and self.pulse_factor is not None:
            raise ValueError(f"{self.kind.value} has no pulse factor")
        return self

    # -- constructors for the units we use
    @classmethod
    def power_real(
        cls, scale: SiScaleCode = SiScaleCode.NONE, *, hertz: float = 50.0, voltage: float = 230.0
    ) -> ItemBase:
        return cls(
            kind=ItemKind.POWER_REAL,
            si_scale_code=scale,
            power_attributes=PowerAttributes(hertz=hertz, voltage=voltage, ac=True),
        )

    @classmethod
    def energy_real(cls, scale: SiScaleCode = SiScaleCode.NONE) -> ItemBase:
        return cls(kind=ItemKind.ENERGY_REAL, si_scale_code=scale)

    @classmethod
    def voltage(cls) -> ItemBase:
        return cls(kind=ItemKind.VOLTAGE)

    @classmethod
    def temperature(cls) -> ItemBase:
        return cls(kind=ItemKind.TEMPERATURE, units="celsius")

    @classmethod
    def currency(cls, code: str = "EUR", *, per: str = "") -> ItemBase:
        """Money (``per=""``), price per kWh (``per="kWh"``) or per kW (``per="kW"``)."""
        kinds = {
            "": ItemKind.CURRENCY,
            "kWh": ItemKind.CURRENCY_PER_KWH,
            "kW": ItemKind.CURRENCY_PER_KW,
        }
        if per not in kinds:
            raise ValueError(f"per must be one of {sorted(kinds)}")
        kind = kinds[per]
        return cls(kind=kind, description=ITEM_KINDS[kind].description, units=code)

    @classmethod
    def for_unit(cls, unit: Unit) -> ItemBase:
        """The item base that describes values in our canonical ``unit``."""
        makers = {
            Unit.W: cls.power_real,
            Unit.WH: cls.energy_real,
            Unit.V: cls.voltage,
            Unit.CELSIUS: cls.temperature,
            Unit.EUR: cls.currency,
            Unit.EUR_PER_KWH: lambda: cls.currency("EUR", per="kWh"),
            Unit.A: lambda: cls(kind=ItemKind.CURRENT),
            Unit.HZ: lambda: cls(kind=ItemKind.FREQUENCY),
            Unit.VAR: lambda: cls(kind=ItemKind.POWER_REACTIVE),
            Unit.VA: lambda: cls(kind=ItemKind.POWER_APPARENT),
        }
        try:
            return makers[unit]()
        except KeyError:
            raise UnitError(f"no OpenADR item base for unit {unit.value!r}") from None

    def to_canonical(self, value: float) -> tuple[float, Unit]:
        """A value in this item's (scaled) unit → our canonical unit: 2.5 kW → (2500.0, W).

        Raises UnitError for units we do not model (foreign currencies, therms, pulses…).
        """
        scaled = value * self.si_scale_code.factor
        kind = self.kind
        if kind is ItemKind.TEMPERATURE:
            return (
                scaled if self.units == "celsius" else (scaled - 32.0) * 5.0 / 9.0
            ), Unit.CELSIUS
        if kind in (ItemKind.CURRENCY, ItemKind.CURRENCY_PER_KWH) and self.units == "EUR":
            # Prices are per kWh of energy, so the SI scale applies to the money only.
            return scaled, Unit.EUR if kind is ItemKind.CURRENCY else Unit.EUR_PER_KWH
        simple = {
            ItemKind.POWER_REAL: Unit.W,
            ItemKind.POWER_REACTIVE: Unit.VAR,
            ItemKind.POWER_APPARENT: Unit.VA,
            ItemKind.ENERGY_REAL: Unit.WH,
            ItemKind.VOLTAGE: Unit.V,
            ItemKind.CURRENT: Unit.A,
            ItemKind.FREQUENCY: Unit.HZ,
        }
        if kind in simple:
            return scaled, simple[kind]
        raise UnitError(f"no canonical unit for {kind.value} in {self.units!r}")


# --------------------------------------------------------------------------- shared blocks


class EiResponse(_Model):
    response_code: int = Field(default=ResponseCode.OK, ge=100, le=999)
    response_description: str | None = "OK"
    request_id: str = ""

    @property
    def ok(self) -> bool:
        return 200 <= self.response_code < 300


class Target(_Model):
    """``ei:eiTarget``: who an event, signal, opt or report is about. Empty = everyone."""

    ven_ids: list[str] = Field(default_factory=list)
    group_ids: list[str] = Field(default_factory=list)
    group_names: list[str] = Field(default_factory=list)
    resource_ids: list[str] = Field(default_factory=list)
    party_ids: list[str] = Field(default_factory=list)
    end_device_assets: list[str] = Field(default_factory=list)  # power:endDeviceAsset/mrid

    def is_empty(self) -> bool:
        return not (
            self.ven_ids
            or self.group_ids
            or self.group_names
            or self.resource_ids
            or self.party_ids
            or self.end_device_assets
        )


class Window(_Model):
    """An xCal interval: start and duration (vavailability, report interval, baseline)."""

    start: UtcDatetime
    duration: Duration


# --------------------------------------------------------------------------- events


class EventDescriptor(_Model):
    event_id: str
    modification_number: int = Field(default=0, ge=0, le=UINT_MAX)
    modification_date: UtcDatetime | None = None
    modification_reason: str | None = None
    priority: int | None = Field(default=None, ge=0, le=UINT_MAX)
    market_context: Uri = "http://flexcoop.local/market"
    created_date_time: UtcDatetime
    event_status: EventStatus = EventStatus.FAR
    test_event: bool = False
    vtn_comment: str | None = None


class ActivePeriod(_Model):
    start: UtcDatetime
    duration: Duration
    start_after: Duration | None = None  # xcal tolerance/tolerate/startafter: randomisation window
    notification: Duration | None = None
    ramp_up: Duration | None = None
    recovery: Duration | None = None

    @property
    def end(self) -> datetime:
        return self.start + self.duration


class Interval(_Model):
    """One interval of a signal. ``start`` is normally implied by the active period."""

    uid: str | None = None
    start: UtcDatetime | None = None
    duration: Duration | None = None
    value: float


class EventSignal(_Model):
    signal_name: SignalNameStr = SignalName.SIMPLE
    signal_type: SignalType = SignalType.LEVEL
    signal_id: str
    intervals: list[Interval] = Field(min_length=1)
    targets: Target | None = None
    item_base: ItemBase | None = None
    current_value: float | None = None


class EventBaseline(_Model):
    start: UtcDatetime
    duration: Duration
    intervals: list[Interval] = Field(min_length=1)
    baseline_id: str
    resource_ids: list[str] = Field(default_factory=list)
    baseline_name: str
    item_base: ItemBase | None = None


class Event(_Model):
    descriptor: EventDescriptor
    active_period: ActivePeriod
    signals: list[EventSignal] = Field(min_length=1)
    baseline: EventBaseline | None = None
    targets: Target = Field(default_factory=Target)
    response_required: ResponseRequired = ResponseRequired.ALWAYS

    @property
    def event_id(self) -> str:
        return self.descriptor.event_id

    @property
    def modification_number(self) -> int:
        return self.descriptor.modification_number


class EventResponse(_Model):
    response_code: int = Field(default=ResponseCode.OK, ge=100, le=999)
    response_description: str | None = "OK"
    request_id: str = ""
    event_id: str
    modification_number: int = Field(ge=0, le=UINT_MAX)
    opt_type: OptType


# --------------------------------------------------------------------------- reports


class SamplingRate(_Model):
    min_period: Duration
    max_period: Duration
    on_change: bool = False


class ReportDescription(_Model):
    r_id: str
    report_subject: Target | None = None
    report_data_source: Target | None = None
    report_type: ReportTypeStr
    item_base: ItemBase | None = None
    reading_type: ReadingTypeStr = ReadingType.DIRECT_READ
    market_context: Uri | None = None
    sampling_rate: SamplingRate | None = None


class LoadControlStateValue(_Model):
    min: float | None = None
    max: float | None = None
    current: float
    normal: float | None = None


class LoadControlState(_Model):
    capacity: LoadControlStateValue | None = None
    level_offset: LoadControlStateValue | None = None
    percent_offset: LoadControlStateValue | None = None
    set_point: LoadControlStateValue | None = None


class ResourceStatus(_Model):
    """``oadrPayloadResourceStatus``: the value of an x-resourceStatus data point."""

    online: bool
    manual_override: bool = False
    load_control_state: LoadControlState | None = None


class DataPoint(_Model):
    """One ``oadrReportPayload``: a value for data point ``r_id``."""

    r_id: str
    value: float | ResourceStatus
    confidence: int | None = Field(default=None, ge=0, le=100)
    accuracy: float | None = None
    quality: DataQualityStr | None = None


class ReportInterval(_Model):
    uid: str | None = None
    start: UtcDatetime | None = None
    duration: Duration | None = None
    data_points: list[DataPoint] = Field(min_length=1)


class Report(_Model):
    """``oadrReport``: metadata (descriptions) or data (intervals)."""

    report_id: str | None = None  # ei:eiReportID
    start: UtcDatetime | None = None
    duration: Duration | None = None
    intervals: list[ReportInterval] = Field(default_factory=list)
    descriptions: list[ReportDescription] = Field(default_factory=list)
    report_request_id: str = "0"  # "0" for metadata reports, per the 2.0b spec
    report_specifier_id: str
    report_name: ReportNameStr | None = None
    created_date_time: UtcDatetime


class SpecifierPayload(_Model):
    r_id: str
    item_base: ItemBase | None = None
    reading_type: ReadingTypeStr = ReadingType.DIRECT_READ


class ReportSpecifier(_Model):
    report_specifier_id: str
    granularity: Duration
    report_back_duration: Duration
    report_interval: Window | None = None
    payloads: list[SpecifierPayload] = Field(min_length=1)


class ReportRequest(_Model):
    report_request_id: str = Field(default_factory=new_id)
    specifier: ReportSpecifier


# --------------------------------------------------------------------------- registration


class Profile(_Model):
    profile_name: ProfileName = ProfileName.B
    transports: list[TransportName] = Field(
        default_factory=lambda: [TransportName.SIMPLE_HTTP], min_length=1
    )


class ServiceInfo(_Model):
    service_name: ServiceName
    info: dict[str, str] = Field(min_length=1)


class Extension(_Model):
    name: str
    info: dict[str, str] = Field(default_factory=dict)


# --------------------------------------------------------------------------- messages


class OadrMessage(_Model):
    """Base of every payload class; ``message_type`` is the element name."""

    message_type: ClassVar[str]


class OadrQueryRegistration(OadrMessage):
    message_type: ClassVar[str] = "oadrQueryRegistration"
    request_id: str = Field(default_factory=new_id)


class OadrCreatePartyRegistration(OadrMessage):
    message_type: ClassVar[str] = "oadrCreatePartyRegistration"
    request_id: str = Field(default_factory=new_id)
    registration_id: str | None = None
    ven_id: str | None = None
    profile_name: ProfileName = ProfileName.B
    transport_name: TransportName = TransportName.SIMPLE_HTTP
    transport_address: str | None = None
    report_only: bool = False
    xml_signature: bool = False
    ven_name: str | None = None
    http_pull_model: bool | None = True


class OadrCreatedPartyRegistration(OadrMessage):
    message_type: ClassVar[str] = "oadrCreatedPartyRegistration"
    response: EiResponse = Field(default_factory=EiResponse)
    registration_id: str | None = None
    ven_id: str | None = None
    vtn_id: str
    profiles: list[Profile] = Field(default_factory=lambda: [Profile()], min_length=1)
    poll_freq: Duration | None = None  # oadrRequestedOadrPollFreq
    service_specific_info: list[ServiceInfo] = Field(default_factory=list)
    extensions: list[Extension] = Field(default_factory=list)


class OadrCancelPartyRegistration(OadrMessage):
    message_type: ClassVar[str] = "oadrCancelPartyRegistration"
    request_id: str = Field(default_factory=new_id)
    registration_id: str
    ven_id: str | None = None


class OadrCanceledPartyRegistration(OadrMessage):
    message_type: ClassVar[str] = "oadrCanceledPartyRegistration"
    response: EiResponse = Field(default_factory=EiResponse)
    registration_id: str | None = None
    ven_id: str | None = None


class OadrRequestReregistration(OadrMessage):
    message_type: ClassVar[str] = "oadrRequestReregistration"
    ven_id: str


class OadrRequestEvent(OadrMessage):
    message_type: ClassVar[str] = "oadrRequestEvent"
    request_id: str = Field(default_factory=new_id)
    ven_id: str
    reply_limit: int | None = Field(default=None, ge=0, le=UINT_MAX)


class OadrDistributeEvent(OadrMessage):
    message_type: ClassVar[str] = "oadrDistributeEvent"
    response: EiResponse | None = None
    request_id: str = Field(default_factory=new_id)
    vtn_id: str
    events: list[Event] = Field(default_factory=list)


class OadrCreatedEvent(OadrMessage):
    message_type: ClassVar[str] = "oadrCreatedEvent"
    response: EiResponse = Field(default_factory=EiResponse)
    event_responses: list[EventResponse] = Field(default_factory=list)
    ven_id: str


class OadrRegisterReport(OadrMessage):
    message_type: ClassVar[str] = "oadrRegisterReport"
    request_id: str = Field(default_factory=new_id)
    reports: list[Report] = Field(default_factory=list)
    ven_id: str | None = None
    report_request_id: str | None = None


class OadrRegisteredReport(OadrMessage):
    message_type: ClassVar[str] = "oadrRegisteredReport"
    response: EiResponse = Field(default_factory=EiResponse)
    report_requests: list[ReportRequest] = Field(default_factory=list)
    ven_id: str | None = None


class OadrCreateReport(OadrMessage):
    message_type: ClassVar[str] = "oadrCreateReport"
    request_id: str = Field(default_factory=new_id)
    report_requests: list[ReportRequest] = Field(min_length=1)
    ven_id: str | None = None


class OadrCreatedReport(OadrMessage):
    message_type: ClassVar[str] = "oadrCreatedReport"
    response: EiResponse = Field(default_factory=EiResponse)
    pending_reports: list[str] = Field(default_factory=list)  # reportRequestIDs still running
    ven_id: str | None = None


class OadrUpdateReport(OadrMessage):
    message_type: ClassVar[str] = "oadrUpdateReport"
    request_id: str = Field(default_factory=new_id)
    reports: list[Report] = Field(default_factory=list)
    ven_id: str | None = None


class OadrCancelReport(OadrMessage):
    message_type: ClassVar[str] = "oadrCancelReport"
    request_id: str = Field(default_factory=new_id)
    report_request_ids: list[str] = Field(min_length=1)
    report_to_follow: bool = False
    ven_id: str | None = None


class OadrUpdatedReport(OadrMessage):
    message_type: ClassVar[str] = "oadrUpdatedReport"
    response: EiResponse = Field(default_factory=EiResponse)
    cancel_report: OadrCancelReport | None = None
    ven_id: str | None = None


class OadrCanceledReport(OadrMessage):
    message_type: ClassVar[str] = "oadrCanceledReport"
    response: EiResponse = Field(default_factory=EiResponse)
    pending_reports: list[str] = Field(default_factory=list)
    ven_id: str | None = None


class OadrCreateOpt(OadrMessage):
    """An opt schedule (``vavailability`` windows) or an opt on one event (``event_id``)."""

    message_type: ClassVar[str] = "oadrCreateOpt"
    opt_id: str = Field(default_factory=new_id)
    opt_type: OptType
    opt_reason: OptReasonStr
    market_context: Uri | None = None
    ven_id: str
    vavailability: list[Window] = Field(default_factory=list)  # empty: not a schedule
    created_date_time: UtcDatetime
    request_id: str = Field(default_factory=new_id)
    event_id: str | None = None
    modification_number: int | None = Field(default=None, ge=0, le=UINT_MAX)
    targets: Target = Field(default_factory=Target)
    device_class: Target | None = None

    @model_validator(mode="after")
    def _event_pairs(self) -> OadrCreateOpt:
        if (self.event_id is None) != (self.modification_number is None):
            raise ValueError("event_id and modification_number go together (ei:qualifiedEventID)")
        return self


class OadrCreatedOpt(OadrMessage):
    message_type: ClassVar[str] = "oadrCreatedOpt"
    response: EiResponse = Field(default_factory=EiResponse)
    opt_id: str


class OadrCancelOpt(OadrMessage):
    message_type: ClassVar[str] = "oadrCancelOpt"
    request_id: str = Field(default_factory=new_id)
    opt_id: str
    ven_id: str


class OadrCanceledOpt(OadrMessage):
    message_type: ClassVar[str] = "oadrCanceledOpt"
    response: EiResponse = Field(default_factory=EiResponse)
    opt_id: str | None = None


class OadrPoll(OadrMessage):
    message_type: ClassVar[str] = "oadrPoll"
    ven_id: str


class OadrResponse(OadrMessage):
    message_type: ClassVar[str] = "oadrResponse"
    response: EiResponse = Field(default_factory=EiResponse)
    ven_id: str | None = None


Message = (
    OadrQueryRegistration
    | OadrCreatePartyRegistration
    | OadrCreatedPartyRegistration
    | OadrCancelPartyRegistration
    | OadrCanceledPartyRegistration
    | OadrRequestReregistration
    | OadrRequestEvent
    | OadrDistributeEvent
    | OadrCreatedEvent
    | OadrRegisterReport
    | OadrRegisteredReport
    | OadrCreateReport
    | OadrCreatedReport
    | OadrUpdateReport
    | OadrUpdatedReport
    | OadrCancelReport
    | OadrCanceledReport
    | OadrCreateOpt
    | OadrCreatedOpt
    | OadrCancelOpt
    | OadrCanceledOpt
    | OadrPoll
    | OadrResponse
)

MESSAGE_TYPES: dict[str, type[OadrMessage]] = {cls.message_type: cls for cls in get_args(Message)}
