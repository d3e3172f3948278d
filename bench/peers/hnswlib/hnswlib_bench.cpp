// hnswlib_bench: measures hnswlib (Debian libhnswlib-dev, header-only) on
// .fvecs/.ivecs files and prints a JSON report in bench.Report's shape, so
// reef can merge it (bench.ReadReport + Report.Merge).
//
// Usage:
//   hnswlib_bench --base B.fvecs --query Q.fvecs --truth T.ivecs
//                 [--space l2|ip|cosine] [--M 16] [--efc 200]
//                 [--ef 10,20,40,80,160] [--k 10] [--threads N] [--repeats 3]
//
// Measured: single-threaded build time; parallel build time with N
// std::threads (the parallel-built index is the one searched, as in reef's
// sweep); for each ef, recall@k against the truth file and per-query
// latencies at 1 thread (QPS, p50/p95/p99) and, if N > 1, QPS and latencies
// with the queries shared among N threads. Each point is the fastest of
// --repeats timed passes, after an unmeasured warm-up over the first 100
// queries (the same protocol as reef's bench.Run). bytes_per_vector is hnswlib's own
// data + link storage (the label hash map is not counted).
#include <hnswlib/hnswlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using Clock = std::chrono::steady_clock;

template <typename T>
static std::vector<std::vector<T>> read_vecs(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open " + path);
    std::vector<std::vector<T>> out;
    int32_t d;
    while (in.read(reinterpret_cast<char *>(&d), 4)) {
        if (d < 0 || d > (1 << 16)) throw std::runtime_error("bad dimension in " + path);
        std::vector<T> v(d);
        if (!in.read(reinterpret_cast<char *>(v.data()), 4 * (std::streamsize)d))
            throw std::runtime_error("truncated " + path);
        out.push_back(std::move(v));
    }
    return out;
}

static void normalize(std::vector<std::vector<float>> &vs) {
    for (auto &v : vs) {
        double s = 0;
        for (float x : v) s += (double)x * x;
        if (s > 0) {
            float inv = (float)(1 / std::sqrt(s));
            for (float &x : v) x *= inv;
        }
    }
}

static double seconds(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
}

template <typename F>
static void parallel_for(size_t n, int threads, F fn) {
    std::atomic<size_t> next{0};
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; t++)
        ts.emplace_back([&] {
            for (size_t i; (i = next.fetch_add(1)) < n;) fn(i);
        });
    for (auto &t : ts) t.join();
}

using Index = hnswlib::HierarchicalNSW<float>;

static std::unique_ptr<Index> build(hnswlib::SpaceInterface<float> *space, const std::vector<std::vector<float>> &base,
                                    int M, int efc, int threads, double *secs) {
    auto idx = std::make_unique<Index>(space, base.size(), M, efc, 100);
    auto t0 = Clock::now();
    idx->addPoint(base[0].data(), 0);
    parallel_for(base.size() - 1, threads, [&](size_t i) { idx->addPoint(base[i + 1].data(), i + 1); });
    *secs = seconds(t0, Clock::now());
    return idx;
}

struct Pass {
    double recall, qps, p50, p95, p99;
};

static Pass search(Index &idx, const std::vector<std::vector<float>> &qs, const std::vector<std::vector<int32_t>> &truth,
                   size_t k, size_t ef, int threads) {
    idx.setEf(ef);
    for (size_t i = 0; i < std::min<size_t>(100, qs.size()); i++) idx.searchKnn(qs[i].data(), k);
    std::vector<double> lat(qs.size());
    std::vector<size_t> hits(qs.size());
    auto t0 = Clock::now();
    parallel_for(qs.size(), threads, [&](size_t i) {
        auto s = Clock::now();
        auto res = idx.searchKnn(qs[i].data(), k);
        lat[i] = seconds(s, Clock::now()) * 1e6;
        size_t h = 0;
        for (; !res.empty(); res.pop()) {
            auto id = (int32_t)res.top().second;
            for (size_t j = 0; j < k && j < truth[i].size(); j++)
                if (truth[i][j] == id) { h++; break; }
        }
        hits[i] = h;
    });
    double wall = seconds(t0, Clock::now());
    size_t total = 0;
    for (size_t h : hits) total += h;
    std::sort(lat.begin(), lat.end());
    auto pct = [&](double p) { return lat[std::min(lat.size() - 1, (size_t)std::ceil(p * lat.size()) - 1)]; };
    return {(double)total / (double)(k * qs.size()), qs.size() / wall, pct(0.50), pct(0.95), pct(0.99)};
}

int main(int argc, char **argv) {
    std::string base_p, query_p, truth_p, space_name = "l2", efs_s = "10,20,40,80,160";
    int M = 16, efc = 200, k = 10, repeats = 3, threads = (int)std::max(1u, std::thread::hardware_concurrency());
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string a = argv[i], v = argv[i + 1];
        if (a == "--base") base_p = v;
        else if (a == "--query") query_p = v;
        else if (a == "--truth") truth_p = v;
        else if (a == "--space") space_name = v;
        else if (a == "--M") M = std::atoi(v.c_str());
        else if (a == "--efc") efc = std::atoi(v.c_str());
        else if (a == "--ef") efs_s = v;
        else if (a == "--k") k = std::atoi(v.c_str());
        else if (a == "--repeats") repeats = std::max(1, std::atoi(v.c_str()));
        else if (a == "--threads") threads = std::max(1, std::atoi(v.c_str()));
        else { std::fprintf(stderr, "unknown flag %s\n", a.c_str()); return 2; }
    }
    if (base_p.empty() || query_p.empty() || truth_p.empty() || k <= 0) {
        std::fprintf(stderr, "usage: %s --base B.fvecs --query Q.fvecs --truth T.ivecs [--space l2|ip|cosine] "
                             "[--M 16] [--efc 200] [--ef 10,20,40] [--k 10] [--threads N] [--repeats 3]\n", argv[0]);
        return 2;
    }
    try {
        auto base = read_vecs<float>(base_p);
        auto qs = read_vecs<float>(query_p);
        auto truth = read_vecs<int32_t>(truth_p);
        if (base.empty() || qs.empty() || truth.size() != qs.size()) throw std::runtime_error("empty data or truth/query count mismatch");
        size_t dim = base[0].size();
        std::unique_ptr<hnswlib::SpaceInterface<float>> space;
        if (space_name == "l2") space.reset(new hnswlib::L2Space(dim));
        else if (space_name == "ip" || space_name == "cosine") space.reset(new hnswlib::InnerProductSpace(dim));
        else throw std::runtime_error("unknown space " + space_name);
        if (space_name == "cosine") { normalize(base); normalize(qs); }

        double serial_s = 0, par_s = 0;
        build(space.get(), base, M, efc, 1, &serial_s);  // timed, then freed
        std::fprintf(stderr, "hnswlib: serial build %.2fs\n", serial_s);
        auto idx = threads > 1 ? build(space.get(), base, M, efc, threads, &par_s) : build(space.get(), base, M, efc, 1, &par_s);
        std::fprintf(stderr, "hnswlib: %d-thread build %.2fs\n", threads, par_s);
        double levels = 0;
        for (size_t i = 0; i < base.size(); i++) levels += idx->element_levels_[i];
        double bpv = idx->size_data_per_element_ + idx->size_links_per_element_ * levels / base.size();

        std::ostringstream rows;
        std::vector<int> tcounts{1};
        if (threads > 1) tcounts.push_back(threads);
        std::stringstream ss(efs_s);
        std::string tok;
        bool first = true;
        while (std::getline(ss, tok, ',')) {
            size_t ef = std::max<size_t>(std::atoi(tok.c_str()), k);
            for (int t : tcounts) {
                Pass p = search(*idx, qs, truth, k, ef, t);
                for (int r = 1; r < repeats; r++) {
                    Pass again = search(*idx, qs, truth, k, ef, t);
                    if (again.qps > p.qps) p = again;
                }
                std::fprintf(stderr, "hnswlib: ef=%zu t=%d recall=%.4f qps=%.0f\n", ef, t, p.recall, p.qps);
                char buf[512];
                std::snprintf(buf, sizeof buf,
                              "%s    {\"source\": \"hnswlib\", \"backend\": \"hnswlib\", \"m\": %d, \"ef_construction\": %d, "
                              "\"ef\": %zu, \"k\": %d, \"threads\": %d, \"recall\": %.6f, \"qps\": %.1f, \"p50_us\": %.2f, "
                              "\"p95_us\": %.2f, \"p99_us\": %.2f, \"build_s\": %.3f, \"build_threads\": %d, "
                              "\"serial_build_s\": %.3f, \"bytes_per_vector\": %.1f}",
                              first ? "" : ",\n", M, efc, ef, k, t, p.recall, p.qps, p.p50, p.p95, p.p99, par_s, threads,
                              serial_s, bpv);
                rows << buf;
                first = false;
            }
        }
        std::printf("{\n  \"workload\": {\"name\": \"%s\", \"metric\": \"%s\", \"n\": %zu, \"dim\": %zu, \"queries\": %zu, \"k\": %d},\n"
                    "  \"rows\": [\n%s\n  ]\n}\n",
                    base_p.c_str(), space_name.c_str(), base.size(), dim, qs.size(), k, rows.str().c_str());
    } catch (const std::exception &e) {
        std::fprintf(stderr, "hnswlib_bench: %s\n", e.what());
        return 1;
    }
    return 0;
}
