import { exercise } from './harness/exercise';
import { portInUse, silentAndResettingClients } from './harness/server-checks';
import { idleTimeoutCheck, uppercaseProbe, uppercaseStreamChecks } from './harness/stream-checks';

exercise('tcp-upper-server', ({ check }) => {
  uppercaseStreamChecks(check, { sequential: true });
  idleTimeoutCheck(check, Buffer.from('is anybody there?'), Buffer.from('IS ANYBODY THERE?'));
  silentAndResettingClients(check, uppercaseProbe);
  portInUse(check, 'tcp');
});
