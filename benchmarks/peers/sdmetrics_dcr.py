"""Runs in SDV's venv: SDMetrics' distance to closest record (sdmetrics.single_table.privacy.
dcr_utils.calculate_dcr) for every synthetic row against the real rows. Prints one JSON line:
the metadata it detected, the seconds, and the DCR values in synthetic-row order."""

from __future__ import annotations

import json
import sys
import time
import warnings

from sdv_tabular import load  # same loading as the SDV benchmark


def main() -> None:
    warnings.simplefilter("ignore")
    from sdmetrics.single_table.privacy.dcr_utils import calculate_dcr
    from sdv.metadata import Metadata

    real, synth = load(sys.argv[1]), load(sys.argv[2])
    synth = synth.astype({c: real[c].dtype for c in real.columns})
    metadata = Metadata.detect_from_dataframes({"t": real}).to_dict()["tables"]["t"]
    t0 = time.perf_counter()
    dcr = calculate_dcr(synth, real, metadata)
    seconds = time.perf_counter() - t0
    print(json.dumps({"sdtypes": {c: v["sdtype"] for c, v in metadata["columns"].items()},
                      "seconds": seconds, "dcr": [float(x) for x in dcr]}))


if __name__ == "__main__":
    main()
