from zhenggai.accounts.policies import CHANGE, scope_for, user_can
from zhenggai.core.actors import system_actor
from zhenggai.rectification.models import Task


def test_world_scopes(world):
    u = world.users
    assert set(scope_for(u.head, Task.objects.all())) == {world.t_dept, world.t_town}  # t_town: dept accepts
    assert set(scope_for(u.office, Task.objects.all())) == {world.t_dept, world.t_town, world.t_sub}


def test_system_actor_may_act_but_not_sign_in(world):
    actor = system_actor()
    assert user_can(actor, CHANGE, world.t_dept)
    assert not actor.has_usable_password()
