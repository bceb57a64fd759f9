/**
 * onlinkd's --help text, apart from the entry file (which starts the daemon
 * when imported) so the man page (docs/man-pages.ts) is made from it.
 */
import { DEFAULT_CONFIG_PATH } from '../config/config.js';
import { KEYS } from '../config/keys.js';

const { datapath, controlSocket } = KEYS.general;

export const USAGE = `Usage: onlinkd [--config FILE] [--datapath DIR] [--control-socket PATH] [--check]

Answers DHCPv4, IPv6 RS/NS and DHCPv6 Information-Requests on VM taps from
per-tap binding files (nfdhcpd format).

  -c, --config FILE    configuration file (nfdhcpd.conf-compatible INI);
                       default ${DEFAULT_CONFIG_PATH}, embedded defaults if absent
      --datapath DIR   binding-file directory (overrides [general] ${datapath.key})
      --control-socket PATH
                       control socket (overrides [general] ${controlSocket.key})
      --check          validate the configuration and exit
  -h, --help           this help
  -V, --version        print the version
`;
