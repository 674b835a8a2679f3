from zhenggai.accounts.policies import scope_for
from zhenggai.rectification.models import Task


def test_world_scopes(world):
    u = world.users
    assert set(scope_for(u.head, Task.objects.all())) == {world.t_dept, world.t_town}  # t_town: dept accepts
    assert set(scope_for(u.office, Task.objects.all())) == {world.t_dept, world.t_town, world.t_sub}
