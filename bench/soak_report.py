# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""bench/soak's figures: what a soak counted, gathered (report), printed, and judged (healthy)."""
from harness import percentile


def report(soak, rig, start, end, status_client, seconds, final_error):
    latencies = status_client.latencies
    return {
        'seconds': round(seconds, 1),
        'commands': dict(soak.commands),
        'commands_total': sum(soak.commands.values()),
        'faults': dict(soak.faults),
        'faults_total': sum(soak.faults.values()),
        'recoveries': {fault: {'count': len(times), 'max_s': round(max(times), 2)}
                       for fault, times in sorted(soak.recoveries.items())},
        'travel_mm': round(soak.travel_mm, 1),
        'lost_commands': soak.lost,
        'position_mismatches': soak.mismatches,
        'final_position_error_steps': final_error,
        'status_calls': len(latencies) + len(status_client.failures),
        'status_failures': status_client.failures[:10],
        'status_p99_ms': round(percentile(latencies, 0.99) * 1000, 2) if latencies else None,
        'status_max_ms': round(max(latencies) * 1000, 2) if latencies else None,
        'daemon_start': start,
        'daemon_end': end,
        'rss_growth_mb': round(end['rss_mb'] - start['rss_mb'], 2),
        'tracebacks_in_log': rig.output().count('Traceback'),
        'links_lost': rig.output().count('lost the serial link'),
        'links_restored': rig.output().count('serial link restored'),
    }


def print_report(figures):
    print(f"soak: {figures['seconds']} s, {figures['commands_total']} commands, "
          f"{figures['faults_total']} faults, {figures['travel_mm']} mm travelled")
    print('  commands:  ' + ', '.join(f'{k} {v}' for k, v in sorted(figures['commands'].items())))
    print('  faults:    ' + ', '.join(f'{k} {v}' for k, v in sorted(figures['faults'].items())))
    print('  back to IDLE after (power cycle, following error: including `home`): '
          + ', '.join(f"{k} {v['count']} (max {v['max_s']} s)" for k, v in figures['recoveries'].items()))
    print(f"  serial link lost {figures['links_lost']} times, restored {figures['links_restored']} times")
    print(f"  status: {figures['status_calls']} calls, {len(figures['status_failures'])} failed, "
          f"p99 {figures['status_p99_ms']} ms, max {figures['status_max_ms']} ms")
    start, end = figures['daemon_start'], figures['daemon_end']
    print(f"  daemon: VmRSS {start['rss_mb']:.1f} -> {end['rss_mb']:.1f} MB ({figures['rss_growth_mb']:+.2f}), "
          f"threads {start['threads']} -> {end['threads']}, open files {start['open_files']} -> {end['open_files']}")
    print(f"  final position error: {figures['final_position_error_steps']} steps; "
          f"position mismatches: {len(figures['position_mismatches'])}; "
          f"lost commands: {len(figures['lost_commands'])}; tracebacks: {figures['tracebacks_in_log']}")
    for lost in figures['lost_commands']:
        print(f"    lost: {lost['call']}: {lost['what']} (status {lost['status']}: {lost['message']})")
    for mismatch in figures['position_mismatches']:
        print(f'    mismatch: {mismatch}')


def healthy(figures):
    return (figures['final_position_error_steps'] == 0 and not (
        figures['lost_commands'] or figures['position_mismatches'] or figures['status_failures']
        or figures['tracebacks_in_log']))
