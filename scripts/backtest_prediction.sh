#!/usr/bin/env bash
# Backtest of the predicted payment date on generated history (no database needed).
# Usage: bash scripts/backtest_prediction.sh [--customers N] [--months M] [--seed S] ...
source "$(dirname "$0")/common.sh"
"$PYTHON" "$REPO_DIR/scripts/backtest_prediction.py" "$@"
