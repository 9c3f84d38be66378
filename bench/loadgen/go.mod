module linkguard.local/bench/loadgen

go 1.21
