import t from 'tap';
import { Balancer, upstreamOf } from '../src/routes';

t.test('each public path goes to the service that owns it', async (t) => {
  const cases: [string, string][] = [
    ['/v1/ws', 'ws'],
    ['/v1/ws?x=1', 'ws'],
    ['/v1/search?q=서버', 'search'],
    ['/v1/rooms/abc/messages', 'message'],
    ['/v1/rooms/abc/messages/m1', 'message'],
    ['/v1/rooms/abc/events?after=3', 'message'],
    ['/v1/rooms/abc/read', 'message'],
    ['/v1/rooms/abc', 'api'],
    ['/v1/rooms/abc/members', 'api'],
    ['/v1/rooms', 'api'],
    ['/v1/auth/login', 'api'],
    ['/v1/notifications', 'notification'],
    ['/v1/nonsense', 'api'],
    ['/readyz', 'api'],
    ['/metrics', 'api'],
    ['/', 'web'],
    ['/js/app.js', 'web'],
  ];
  for (const [path, upstream] of cases) t.equal(upstreamOf(path), upstream, path);
});

t.test('round-robin over instances', async (t) => {
  const b = new Balancer([new URL('http://a:1'), new URL('http://b:2')]);
  t.same([b.pick().host, b.pick().host, b.pick().host], ['a:1', 'b:2', 'a:1']);
});
