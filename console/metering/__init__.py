"""Metering and methane evidence (计量与甲烷排放存证), Qt-free.

Meters (gate station, district regulator, customer) report corrected volume totals (Nm³); each meter's device signs a
period's readings as one batch at the source (``did:key``). :func:`examine_batch` checks a batch against the ledger's
record of the device before it is anchored (signature, Merkle root, counters, replay, resets, missing readings);
:func:`build_reading_proof` and :func:`verify_reading_proof` prove one reading offline; :func:`reconcile_custody`
compares two parties' daily custody-transfer figures; :func:`gas_balance` gives unaccounted-for gas (输差);
:mod:`console.metering._methane` holds the documented emission models. :class:`MeteringSimulator` trains it all;
:func:`simulator_from_network` puts its meters on a solved network (areas are pressure systems) and
:func:`line_pack_by_area` gives the gas held in each area's pipes.

The service over the ledger and the live feeds is :class:`console.app.metering.MeteringService`.
"""

from console.metering._anchor import PERIOD_STATUSES, DeviceView, PeriodReport, examine_batch, missing_period, period_of
from console.metering._balance import BalanceRow, flag_jumps, gas_balance, line_pack_nm3
from console.metering._custody import CustodyResult, PartyFigure, reconcile_custody
from console.metering._device import METER_KINDS, UNIT, Meter, MeterDevice, SignedBatch
from console.metering._errors import AmbiguousReading, MeteringError, ProofFileError, ReadingNotAnchored
from console.metering._keystore import TRAINING_KEY_FILE, TRAINING_STATE_FILE, TrainingKeys
from console.metering._methane import (
    GWP100_CH4_AR6_FOSSIL,
    GWP_SOURCES,
    EmissionFigure,
    StationParameters,
    ch4_density_kg_m3,
    enclosure_emission_kg_h,
    gwp_source,
    station_emission,
    vented_emission,
)
from console.metering._network import area_label, area_pipe_rows, line_pack_by_area, node_areas, simulator_from_network
from console.metering._proof import (
    PROOF_FORMAT,
    READINGS_FORMAT,
    ProofCheck,
    ProofReport,
    build_reading_proof,
    find_reading_batch,
    read_proof_file,
    verify_reading_proof,
    write_proof,
)
from console.metering._share import (
    SHARE_FORMAT,
    ShareError,
    ShareReport,
    build_share,
    in_scope,
    read_share_file,
    verify_share,
    write_share,
)
from console.metering._simulate import MeteringSimulator, SimulatedMeter
from console.metering._time import format_time, parse_time, period_bounds

__all__ = [
    "AmbiguousReading",
    "BalanceRow",
    "CustodyResult",
    "DeviceView",
    "EmissionFigure",
    "GWP100_CH4_AR6_FOSSIL",
    "GWP_SOURCES",
    "METER_KINDS",
    "Meter",
    "MeterDevice",
    "MeteringError",
    "MeteringSimulator",
    "PERIOD_STATUSES",
    "PROOF_FORMAT",
    "READINGS_FORMAT",
    "PartyFigure",
    "PeriodReport",
    "ProofCheck",
    "ProofFileError",
    "ProofReport",
    "ReadingNotAnchored",
    "SHARE_FORMAT",
    "ShareError",
    "ShareReport",
    "SignedBatch",
    "SimulatedMeter",
    "StationParameters",
    "TRAINING_KEY_FILE",
    "TRAINING_STATE_FILE",
    "TrainingKeys",
    "UNIT",
    "area_label",
    "area_pipe_rows",
    "build_reading_proof",
    "build_share",
    "find_reading_batch",
    "ch4_density_kg_m3",
    "enclosure_emission_kg_h",
    "examine_batch",
    "flag_jumps",
    "format_time",
    "gas_balance",
    "gwp_source",
    "in_scope",
    "line_pack_by_area",
    "line_pack_nm3",
    "missing_period",
    "node_areas",
    "parse_time",
    "period_bounds",
    "period_of",
    "read_proof_file",
    "read_share_file",
    "reconcile_custody",
    "simulator_from_network",
    "station_emission",
    "vented_emission",
    "verify_reading_proof",
    "verify_share",
    "write_proof",
    "write_share",
]
