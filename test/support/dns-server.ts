// A real DNS server (dns2, UDP) on loopback for the webhook SSRF and domain verification tests: names answer with
// whatever A/AAAA records the test's zone function gives for that query, and TXT records from the optional `txt`
// function (each record a list of character-strings); every query is counted.
import dns2 from 'dns2';

const { Packet } = dns2;

/** Addresses for `name` (lower case, no trailing dot) and record type; `nth` counts this name's queries of that type from 1. */
export type Zone = (name: string, type: 'A' | 'AAAA', nth: number) => readonly string[];

/** TXT records for `name`: each record is one or more character-strings (≤ 255 bytes each). */
export type TxtZone = (name: string) => readonly (readonly string[])[];

export interface TestDnsServer {
  /** `127.0.0.1:port`, for OutboundPolicy.dnsServers. */
  readonly address: string;
  /** Queries received, per `TYPE name`. */
  readonly queries: Map<string, number>;
  close(): Promise<void>;
}

export async function startDnsServer(zone: Zone, txt: TxtZone = () => []): Promise<TestDnsServer> {
  const queries = new Map<string, number>();
  const server = dns2.createServer({
    udp: true,
    handle: (request, send) => {
      const response = Packet.createResponseFromRequest(request);
      // The dns2 typings omit the question's type and type answers as packets; the wire objects are these.
      const answers = response.answers as unknown as object[];
      for (const question of request.questions as unknown as { name: string; type: number }[]) {
        if (question.type === Packet.TYPE.TXT) {
          const name = question.name.toLowerCase().replace(/\.$/, '');
          queries.set(`TXT ${name}`, (queries.get(`TXT ${name}`) ?? 0) + 1);
          for (const data of txt(name)) {
            answers.push({
              name: question.name,
              type: Packet.TYPE.TXT,
              class: Packet.CLASS.IN,
              ttl: 0,
              data: [...data],
            });
          }
          continue;
        }
        const type = question.type === Packet.TYPE.A ? 'A' : question.type === Packet.TYPE.AAAA ? 'AAAA' : undefined;
        if (!type) continue;
        const name = question.name.toLowerCase().replace(/\.$/, '');
        const key = `${type} ${name}`;
        const nth = (queries.get(key) ?? 0) + 1;
        queries.set(key, nth);
        for (const address of zone(name, type, nth)) {
          answers.push({
            name: question.name,
            type: type === 'A' ? Packet.TYPE.A : Packet.TYPE.AAAA,
            class: Packet.CLASS.IN,
            ttl: 0,
            address,
          });
        }
      }
      send(response);
    },
  });
  await server.listen({ udp: { port: 0, address: '127.0.0.1' } });
  const port = server.addresses().udp?.port;
  if (!port) throw new Error('the DNS server did not bind');
  return { address: `127.0.0.1:${port}`, queries, close: () => server.close() };
}
